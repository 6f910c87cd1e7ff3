#include "native/kernels.h"

#include <xnnpack.h>

#include <cmath>

#include "native/plan.h"
#include "native/xnn.h"

namespace tfjs_run::native {

namespace {
class DenseStep : public Step {
 public:
  DenseStep(const std::string& step_name, const Tensor& kernel, const Tensor* bias, ActivationSpec act,
            int64_t positions)
      : positions_(static_cast<size_t>(positions)) {
    name = step_name;
    in_cols = {kernel.shape[0] * positions};
    out_cols = kernel.shape[1] * positions;
    // relu and relu6 fuse into the matmul's output clamp, as tfjs's fused matmul does.
    const FusedClamp clamp = ClampOf(act);
    const size_t k = static_cast<size_t>(kernel.shape[0]), units = static_cast<size_t>(kernel.shape[1]);
    xnn_operator_t op = nullptr;
    const xnn_status status = xnn_create_fully_connected_nc_f32(k, units, k, units, kernel.values.data(),
                                                                bias ? bias->values.data() : nullptr, clamp.lo,
                                                                clamp.hi, XNN_FLAG_TRANSPOSE_WEIGHTS, &op);
    fc_ = xnn::Created(status, &op, name);
    if (!clamp.whole) after_ = std::make_unique<Elementwise>(name, act, kernel.shape[1]);
  }

  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t batch = rows * positions_;
    xnn::Check(xnn_setup_fully_connected_nc_f32(fc_.get(), batch, in[0], out, nullptr), name);
    xnn::Run(fc_.get(), name);
    if (after_) after_->Run(out, out, batch);
  }

 private:
  size_t positions_;
  xnn::Operator fc_;
  std::unique_ptr<Elementwise> after_;
};

class ActivationStep : public Step {
 public:
  ActivationStep(const std::string& step_name, ActivationSpec act, int64_t cols, int64_t axis_size)
      : group_(static_cast<size_t>(act.kind == Activation::kSoftmax ? axis_size : cols)),
        per_row_(static_cast<size_t>(cols) / group_), op_(step_name, act, static_cast<int64_t>(group_)) {
    name = step_name;
    in_cols = {cols};
    out_cols = cols;
  }
  bool in_place() const override { return true; }
  void Run(const float* const* in, float* out, size_t rows) override { op_.Run(in[0], out, rows * per_row_); }

 private:
  size_t group_, per_row_;
  Elementwise op_;
};

class ChannelAffineStep : public Step {
 public:
  ChannelAffineStep(const std::string& step_name, std::vector<float> scale, std::vector<float> shift, int64_t cols)
      : scale_(std::move(scale)), shift_(std::move(shift)) {
    name = step_name;
    in_cols = {cols};
    out_cols = cols;
  }
  bool in_place() const override { return true; }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t ch = scale_.size(), n = rows * static_cast<size_t>(out_cols);
    const float* x = in[0];
    for (size_t i = 0; i < n; i += ch) {
      for (size_t c = 0; c < ch; ++c) out[i + c] = x[i + c] * scale_[c] + shift_[c];
    }
  }

 private:
  std::vector<float> scale_, shift_;
};
}  // namespace

std::unique_ptr<Step> MakeDense(const std::string& name, const Tensor& kernel, const Tensor* bias,
                                ActivationSpec activation, int64_t positions) {
  xnn::InitializeOnce();
  return std::make_unique<DenseStep>(name, kernel, bias, activation, positions);
}

std::unique_ptr<Step> MakeActivation(const std::string& name, ActivationSpec activation, int64_t cols,
                                     int64_t axis_size) {
  if (axis_size <= 0 || cols % axis_size != 0) Invalid(name + ": the last axis does not divide the row");
  return std::make_unique<ActivationStep>(name, activation, cols, axis_size);
}

ChannelScale BatchNormScale(const Tensor* gamma, const Tensor* beta, const Tensor& mean, const Tensor& var, float eps) {
  ChannelScale c{std::vector<float>(mean.values.size()), std::vector<float>(mean.values.size())};
  for (size_t i = 0; i < c.scale.size(); ++i) {
    c.scale[i] = (gamma ? gamma->values[i] : 1.0f) / std::sqrt(var.values[i] + eps);
    c.shift[i] = (beta ? beta->values[i] : 0.0f) - mean.values[i] * c.scale[i];
  }
  return c;
}

std::unique_ptr<Step> MakeChannelAffine(const std::string& name, std::vector<float> scale, std::vector<float> shift,
                                        int64_t cols) {
  if (scale.empty() || cols % static_cast<int64_t>(scale.size()) != 0) Invalid(name + ": channels do not divide the row");
  return std::make_unique<ChannelAffineStep>(name, std::move(scale), std::move(shift), cols);
}

}  // namespace tfjs_run::native
