#include "native/merge.h"

#include <xnnpack.h>

#include <algorithm>
#include <cmath>

#include "native/plan.h"
#include "native/xnn.h"

namespace tfjs_run::native {

namespace {
constexpr size_t kMaxInputs = 64;

// XNNPACK's operator for `op` (kAverage: its sum), unclamped.
xnn::Operator CreateBinary(Merge op, const std::string& name) {
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
    case Merge::kSquaredDifference: status = xnn_create_squared_difference_nd_f32(0, &x); break;
    default: status = xnn_create_minimum_nd_f32(0, &x); break;
  }
  return xnn::Created(status, &x, name);
}

// Sets up CreateBinary's operator on inputs of shapes `sa` and `sb`, both of `rank` (XNNPACK
// broadcasts a 1 against any size, as numpy does).
xnn_status SetupBinary(Merge op, xnn_operator_t x, size_t rank, const size_t* sa, const size_t* sb, const float* a,
                       const float* b, float* out) {
  switch (op) {
    case Merge::kAdd:
    case Merge::kAverage: return xnn_setup_add_nd_f32(x, rank, sa, rank, sb, a, b, out, nullptr);
    case Merge::kMultiply:
      return xnn_setup_multiply_nd_f32(x, rank, sa, rank, sb, a, b, out, nullptr);
    case Merge::kSubtract:
      return xnn_setup_subtract_nd_f32(x, rank, sa, rank, sb, a, b, out, nullptr);
    case Merge::kDivide: return xnn_setup_divide_nd_f32(x, rank, sa, rank, sb, a, b, out, nullptr);
    case Merge::kMaximum:
      return xnn_setup_maximum_nd_f32(x, rank, sa, rank, sb, a, b, out, nullptr);
    case Merge::kSquaredDifference:
      return xnn_setup_squared_difference_nd_f32(x, rank, sa, rank, sb, a, b, out, nullptr);
    default: return xnn_setup_minimum_nd_f32(x, rank, sa, rank, sb, a, b, out, nullptr);
  }
}

class MergeStep : public Step {
 public:
  MergeStep(const std::string& step_name, Merge op, size_t inputs, int64_t cols) : op_(op) {
    name = step_name;
    in_cols.assign(inputs, cols);
    out_cols = cols;
    binary_ = CreateBinary(op, name);
    if (op == Merge::kAverage) {
      xnn_operator_t x = nullptr;
      scale_ = xnn::Created(xnn_create_multiply_nd_f32(-INFINITY, INFINITY, 0, &x), &x, name);
      factor_ = 1.0f / static_cast<float>(inputs);
    }
  }

  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t n[1] = {rows * static_cast<size_t>(out_cols)}, one[1] = {1};
    const float* acc = in[0];
    for (size_t i = 1; i < in_cols.size(); ++i) {
      xnn::Check(SetupBinary(op_, binary_.get(), 1, n, n, acc, in[i], out), name);
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

// Two values broadcast against each other, each a computed value or a constant. The shapes are
// collapsed at load into runs of axes that broadcast alike, so XNNPACK gets at most its rank
// whatever the rows' rank; the batch is an axis of its own (a constant's is 1).
class BroadcastStep : public Step {
 public:
  BroadcastStep(const std::string& step_name, Merge op, BinaryOperand a, BinaryOperand b,
                const std::vector<int64_t>& out_dims)
      : op_(op), a_(std::move(a.constant)), b_(std::move(b.constant)) {
    name = step_name;
    for (const std::vector<float>* c : {&a_, &b_}) {
      const BinaryOperand& side = c == &a_ ? a : b;
      if (c->empty()) in_cols.push_back(Elements(side.dims, name + "'s input"));
    }
    out_cols = Elements(out_dims, name + "'s output");
    // Axes of one pattern (each side full or broadcast along it) multiply into one.
    int pattern = -1;
    for (size_t i = 0; i < out_dims.size(); ++i) {
      if (out_dims[i] == 1) continue;
      const bool fa = a.dims[i] != 1, fb = b.dims[i] != 1;
      const int p = (fa ? 1 : 0) | (fb ? 2 : 0);
      if (p != pattern) {
        shape_a_.push_back(1), shape_b_.push_back(1);
        pattern = p;
      }
      shape_a_.back() *= fa ? static_cast<size_t>(out_dims[i]) : 1;
      shape_b_.back() *= fb ? static_cast<size_t>(out_dims[i]) : 1;
    }
    if (shape_a_.empty()) shape_a_.push_back(1), shape_b_.push_back(1);
    if (shape_a_.size() + 1 > XNN_MAX_TENSOR_DIMS) Unsupported(name + " broadcasting over more than 5 runs of axes");
    shape_a_.insert(shape_a_.begin(), 1), shape_b_.insert(shape_b_.begin(), 1);
    binary_ = CreateBinary(op, name);
  }

  void Run(const float* const* in, float* out, size_t rows) override {
    const float* next = in[0];
    const float* a = a_.empty() ? next : a_.data();
    if (a_.empty()) next = in[in_cols.size() - 1];
    const float* b = b_.empty() ? next : b_.data();
    shape_a_[0] = a_.empty() ? rows : 1;
    shape_b_[0] = b_.empty() ? rows : 1;
    xnn::Check(SetupBinary(op_, binary_.get(), shape_a_.size(), shape_a_.data(), shape_b_.data(), a, b, out), name);
    xnn::Run(binary_.get(), name);
  }

 private:
  Merge op_;
  std::vector<float> a_, b_;  // the constant sides' values, or empty
  std::vector<size_t> shape_a_, shape_b_;
  xnn::Operator binary_;
};

class ConcatStep : public Step {
 public:
  ConcatStep(const std::string& step_name, const std::vector<int64_t>& widths, int64_t positions,
             std::vector<std::vector<float>> constants)
      : positions_(static_cast<size_t>(positions)), constants_(std::move(constants)) {
    name = step_name;
    constants_.resize(widths.size());
    for (int64_t w : widths) total_ += static_cast<size_t>(w);
    size_t at = 0;
    for (size_t i = 0; i < widths.size(); ++i) {
      const size_t w = static_cast<size_t>(widths[i]);
      widths_.push_back(w);
      offsets_.push_back(at);  // where its values start in each output run
      at += w;
      if (!constants_[i].empty()) continue;
      in_cols.push_back(widths[i] * positions);
      xnn_operator_t op = nullptr;
      copies_.push_back(xnn::Created(xnn_create_copy_nc_x32(w, w, total_, 0, &op), &op, name));
    }
    out_cols = static_cast<int64_t>(total_ * positions_);
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    size_t computed = 0;
    for (size_t i = 0; i < widths_.size(); ++i) {
      if (constants_[i].empty()) {
        xnn::Check(xnn_setup_copy_nc_x32(copies_[computed].get(), rows * positions_, in[computed], out + offsets_[i],
                                         nullptr),
                   name);
        xnn::Run(copies_[computed++].get(), name);
        continue;
      }
      const float* c = constants_[i].data();
      for (size_t r = 0; r < rows; ++r) {
        for (size_t p = 0; p < positions_; ++p) {
          std::copy(c + p * widths_[i], c + (p + 1) * widths_[i], out + (r * positions_ + p) * total_ + offsets_[i]);
        }
      }
    }
  }

 private:
  size_t positions_, total_ = 0;
  std::vector<std::vector<float>> constants_;  // per piece: its values, or empty for a computed one
  std::vector<size_t> widths_, offsets_;
  std::vector<xnn::Operator> copies_;          // per computed piece
};
}  // namespace

std::unique_ptr<Step> MakeMerge(const std::string& name, Merge op, size_t inputs, int64_t cols) {
  if (inputs < 2 || inputs > kMaxInputs) Invalid(name + " merges " + std::to_string(inputs) + " inputs");
  if ((op == Merge::kSubtract || op == Merge::kDivide || op == Merge::kSquaredDifference) && inputs != 2) Invalid(name + " takes other than two inputs");
  Elements({cols}, name + "'s input");
  return std::make_unique<MergeStep>(name, op, inputs, cols);
}

std::vector<int64_t> BroadcastDims(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                                   const std::string& what) {
  if (a.size() != b.size()) Invalid(what + ": operands of different ranks");
  std::vector<int64_t> out(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && a[i] != 1 && b[i] != 1) Invalid(what + ": shapes that do not broadcast");
    out[i] = std::max(a[i], b[i]);
  }
  Elements(out, what + "'s output");
  return out;
}

std::unique_ptr<Step> MakeBroadcast(const std::string& name, Merge op, BinaryOperand a, BinaryOperand b) {
  if (op == Merge::kAverage) Invalid(name + ": an average of two operands is not broadcast");
  if (!a.constant.empty() && !b.constant.empty()) Invalid(name + " of two constants");
  const std::vector<int64_t> out = BroadcastDims(a.dims, b.dims, name);
  for (const BinaryOperand* side : {&a, &b}) {
    const int64_t n = Elements(side->dims, name + "'s input");
    if (!side->constant.empty() && static_cast<int64_t>(side->constant.size()) != n) {
      Invalid(name + ": a constant does not match its shape");
    }
  }
  return std::make_unique<BroadcastStep>(name, op, std::move(a), std::move(b), out);
}

std::unique_ptr<Step> MakeConcat(const std::string& name, const std::vector<int64_t>& widths, int64_t positions,
                                 std::vector<std::vector<float>> constants) {
  if (widths.empty() || widths.size() > kMaxInputs) Invalid(name + " concatenates " + std::to_string(widths.size()) + " inputs");
  if (constants.size() > widths.size()) Invalid(name + " has more constants than pieces");
  constants.resize(widths.size());
  int64_t total = 0;
  size_t computed = 0;
  for (size_t i = 0; i < widths.size(); ++i) {
    const int64_t n = Elements({widths[i], positions}, name + "'s input");
    if (!constants[i].empty() && static_cast<int64_t>(constants[i].size()) != n) {
      Invalid(name + ": a constant piece does not match its shape");
    }
    computed += constants[i].empty() ? 1 : 0;
    total += widths[i];
  }
  if (computed == 0) Invalid(name + " of constants only");
  Elements({total, positions}, name + "'s output");
  xnn::InitializeOnce();
  return std::make_unique<ConcatStep>(name, widths, positions, std::move(constants));
}

}  // namespace tfjs_run::native
