#include "native/merge.h"

#include <xnnpack.h>

#include <cmath>

#include "native/plan.h"
#include "native/xnn.h"

namespace tfjs_run::native {

namespace {
constexpr size_t kMaxInputs = 64;

class MergeStep : public Step {
 public:
  MergeStep(const std::string& step_name, Merge op, size_t inputs, int64_t cols) : op_(op) {
    name = step_name;
    in_cols.assign(inputs, cols);
    out_cols = cols;
    xnn::InitializeOnce();
    xnn_operator_t x = nullptr;
    xnn_status status;
    switch (op) {
      case Merge::kAdd:
      case Merge::kAverage: status = xnn_create_add_nd_f32(-INFINITY, INFINITY, 0, &x); break;
      case Merge::kMultiply: status = xnn_create_multiply_nd_f32(-INFINITY, INFINITY, 0, &x); break;
      case Merge::kSubtract: status = xnn_create_subtract_nd_f32(-INFINITY, INFINITY, 0, &x); break;
      case Merge::kDivide: status = xnn_create_divide_nd_f32(-INFINITY, INFINITY, 0, &x); break;
      case Merge::kMaximum: status = xnn_create_maximum_nd_f32(0, &x); break;
      default: status = xnn_create_minimum_nd_f32(0, &x); break;
    }
    binary_ = xnn::Created(status, &x, name);
    if (op == Merge::kAverage) {
      x = nullptr;
      scale_ = xnn::Created(xnn_create_multiply_nd_f32(-INFINITY, INFINITY, 0, &x), &x, name);
      factor_ = 1.0f / static_cast<float>(inputs);
    }
  }

  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t n[1] = {rows * static_cast<size_t>(out_cols)}, one[1] = {1};
    const float* acc = in[0];
    for (size_t i = 1; i < in_cols.size(); ++i) {
      xnn_status status;
      switch (op_) {
        case Merge::kAdd:
        case Merge::kAverage: status = xnn_setup_add_nd_f32(binary_.get(), 1, n, 1, n, acc, in[i], out, nullptr); break;
        case Merge::kMultiply: status = xnn_setup_multiply_nd_f32(binary_.get(), 1, n, 1, n, acc, in[i], out, nullptr); break;
        case Merge::kSubtract: status = xnn_setup_subtract_nd_f32(binary_.get(), 1, n, 1, n, acc, in[i], out, nullptr); break;
        case Merge::kDivide: status = xnn_setup_divide_nd_f32(binary_.get(), 1, n, 1, n, acc, in[i], out, nullptr); break;
        case Merge::kMaximum: status = xnn_setup_maximum_nd_f32(binary_.get(), 1, n, 1, n, acc, in[i], out, nullptr); break;
        default: status = xnn_setup_minimum_nd_f32(binary_.get(), 1, n, 1, n, acc, in[i], out, nullptr); break;
      }
      xnn::Check(status, name);
      xnn::Run(binary_.get(), name);
      acc = out;
    }
    if (scale_) {  // tfjs: the sum times 1/n
      xnn::Check(xnn_setup_multiply_nd_f32(scale_.get(), 1, n, 1, one, out, &factor_, out, nullptr), name);
      xnn::Run(scale_.get(), name);
    }
  }

 private:
  Merge op_;
  xnn::Operator binary_, scale_;
  float factor_ = 1;
};

class ConcatStep : public Step {
 public:
  ConcatStep(const std::string& step_name, const std::vector<int64_t>& widths, int64_t positions)
      : positions_(static_cast<size_t>(positions)) {
    name = step_name;
    int64_t total = 0;
    for (int64_t w : widths) total += w;
    size_t at = 0;
    for (int64_t w : widths) {
      in_cols.push_back(w * positions);
      xnn_operator_t op = nullptr;
      copies_.push_back(xnn::Created(
          xnn_create_copy_nc_x32(static_cast<size_t>(w), static_cast<size_t>(w), static_cast<size_t>(total), 0, &op),
          &op, name));
      offsets_.push_back(at);  // where its values start in each output run
      at += static_cast<size_t>(w);
    }
    out_cols = total * positions;
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    for (size_t i = 0; i < copies_.size(); ++i) {
      xnn::Check(xnn_setup_copy_nc_x32(copies_[i].get(), rows * positions_, in[i], out + offsets_[i], nullptr), name);
      xnn::Run(copies_[i].get(), name);
    }
  }

 private:
  size_t positions_;
  std::vector<xnn::Operator> copies_;
  std::vector<size_t> offsets_;
};
}  // namespace

std::unique_ptr<Step> MakeMerge(const std::string& name, Merge op, size_t inputs, int64_t cols) {
  if (inputs < 2 || inputs > kMaxInputs) Invalid(name + " merges " + std::to_string(inputs) + " inputs");
  if ((op == Merge::kSubtract || op == Merge::kDivide) && inputs != 2) Invalid(name + " takes other than two inputs");
  Elements({cols}, name + "'s input");
  return std::make_unique<MergeStep>(name, op, inputs, cols);
}

std::unique_ptr<Step> MakeConcat(const std::string& name, const std::vector<int64_t>& widths, int64_t positions) {
  if (widths.empty() || widths.size() > kMaxInputs) Invalid(name + " concatenates " + std::to_string(widths.size()) + " inputs");
  int64_t total = 0;
  for (int64_t w : widths) {
    Elements({w, positions}, name + "'s input");
    total += w;
  }
  Elements({total, positions}, name + "'s output");
  xnn::InitializeOnce();
  return std::make_unique<ConcatStep>(name, widths, positions);
}

}  // namespace tfjs_run::native
