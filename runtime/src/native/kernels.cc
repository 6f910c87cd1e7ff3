// Steps over XNNPACK (Debian's libxnnpack-dev): the library tfjs's wasm backend is built on, so
// the math is the same kernels' math, here compiled for the machine's AVX2 / AVX-512 rather than
// wasm's 128-bit SIMD. Chosen over oneDNN by measurement (docs/native.md). Each operator is
// created once (it packs its weights then) and set up per call; none uses a thread pool: a plan
// runs on its worker's own core. Activations XNNPACK lacks in this version (tanh, selu, softplus,
// softsign, swish, hard sigmoid, mish, gelu) are loops here, with tfjs's formulas.
#include "native/kernels.h"

#include <xnnpack.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "native/plan.h"

namespace tfjs_run::native {

namespace {
void InitializeOnce() {
  static std::once_flag once;
  static xnn_status status = xnn_status_uninitialized;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  if (status != xnn_status_success) Unsupported("XNNPACK failed to initialise on this machine");
}

struct OperatorDeleter {
  void operator()(xnn_operator_t op) const { xnn_delete_operator(op); }
};
using Operator = std::unique_ptr<xnn_operator, OperatorDeleter>;

void Check(xnn_status status, const std::string& step) {
  if (status != xnn_status_success) {
    throw std::runtime_error("the native kernel of " + step + " failed (XNNPACK status " +
                             std::to_string(static_cast<int>(status)) + ")");
  }
}

Operator Created(xnn_status status, xnn_operator_t op, const std::string& what) {
  if (status != xnn_status_success) Unsupported(what + ": XNNPACK refused it (status " + std::to_string(status) + ")");
  return Operator(op);
}

// An elementwise XNNPACK operator over `channels` per batch element, or a loop.
class Elementwise {
 public:
  Elementwise(const std::string& name, ActivationSpec act, int64_t channels)
      : act_(act), name_(name), channels_(static_cast<size_t>(channels)) {
    xnn_operator_t op = nullptr;
    const size_t c = static_cast<size_t>(channels);
    xnn_status status = xnn_status_success;
    switch (act.kind) {
      case Activation::kRelu: status = xnn_create_clamp_nc_f32(c, c, c, 0.0f, INFINITY, 0, &op); break;
      case Activation::kRelu6: status = xnn_create_clamp_nc_f32(c, c, c, 0.0f, 6.0f, 0, &op); break;
      case Activation::kSigmoid: status = xnn_create_sigmoid_nc_f32(c, c, c, 0, &op); break;
      case Activation::kSoftmax: status = xnn_create_softmax_nc_f32(c, c, c, 0, &op); break;
      case Activation::kElu: status = xnn_create_elu_nc_f32(c, c, c, act.alpha, 0, &op); break;
      case Activation::kLeakyRelu: status = xnn_create_leaky_relu_nc_f32(c, c, c, act.alpha, 0, &op); break;
      case Activation::kHardSwish: status = xnn_create_hardswish_nc_f32(c, c, c, 0, &op); break;
      default: return;  // a loop
    }
    op_ = Created(status, op, name);
  }

  // `count` runs of `channels` values; may be in place.
  void Run(const float* in, float* out, size_t count) {
    if (op_) {
      xnn_status status;
      switch (act_.kind) {
        case Activation::kRelu:
        case Activation::kRelu6: status = xnn_setup_clamp_nc_f32(op_.get(), count, in, out, nullptr); break;
        case Activation::kSigmoid: status = xnn_setup_sigmoid_nc_f32(op_.get(), count, in, out, nullptr); break;
        case Activation::kSoftmax: status = xnn_setup_softmax_nc_f32(op_.get(), count, in, out, nullptr); break;
        case Activation::kElu: status = xnn_setup_elu_nc_f32(op_.get(), count, in, out, nullptr); break;
        case Activation::kLeakyRelu: status = xnn_setup_leaky_relu_nc_f32(op_.get(), count, in, out, nullptr); break;
        default: status = xnn_setup_hardswish_nc_f32(op_.get(), count, in, out, nullptr); break;
      }
      Check(status, name_);
      Check(xnn_run_operator(op_.get(), nullptr), name_);
      return;
    }
    Loop(in, out, count * channels_);
  }

 private:
  void Loop(const float* in, float* out, size_t n) const {
    switch (act_.kind) {
      case Activation::kLinear:
        if (in != out) std::memcpy(out, in, n * sizeof(float));
        break;
      case Activation::kTanh:
        for (size_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
        break;
      case Activation::kSelu:  // tfjs: SELU_SCALE, SELU_SCALEALPHA
        for (size_t i = 0; i < n; ++i) {
          out[i] = in[i] > 0 ? 1.0507009873554805f * in[i] : 1.7580993408473768f * (std::exp(in[i]) - 1.0f);
        }
        break;
      case Activation::kSoftplus:  // tfjs's stable softplus
        for (size_t i = 0; i < n; ++i) {
          const float x = in[i];
          constexpr float kThreshold = -13.942385152878742f;  // log(float32 epsilon) + 2
          out[i] = x > -kThreshold ? x : x < kThreshold ? std::exp(x) : std::log1p(std::exp(x));
        }
        break;
      case Activation::kSoftsign:
        for (size_t i = 0; i < n; ++i) out[i] = in[i] / (1.0f + std::fabs(in[i]));
        break;
      case Activation::kSwish:
        for (size_t i = 0; i < n; ++i) out[i] = in[i] / (1.0f + std::exp(-in[i]));
        break;
      case Activation::kHardSigmoid:  // tfjs-layers: clip(0.2 x + 0.5, 0, 1)
        for (size_t i = 0; i < n; ++i) out[i] = std::fmin(1.0f, std::fmax(0.0f, 0.2f * in[i] + 0.5f));
        break;
      case Activation::kMish:
        for (size_t i = 0; i < n; ++i) out[i] = in[i] * std::tanh(std::log1p(std::exp(in[i])));
        break;
      case Activation::kGelu:
        for (size_t i = 0; i < n; ++i) out[i] = 0.5f * in[i] * (1.0f + std::erf(in[i] * 0.7071067811865476f));
        break;
      default:
        throw std::logic_error("no loop for this activation");
    }
  }

  ActivationSpec act_;
  std::string name_;
  size_t channels_;
  Operator op_;
};

class DenseStep : public Step {
 public:
  DenseStep(const std::string& step_name, const Tensor& kernel, const Tensor* bias, ActivationSpec act,
            int64_t positions)
      : positions_(static_cast<size_t>(positions)), units_(static_cast<size_t>(kernel.shape[1])) {
    name = step_name;
    in_cols = kernel.shape[0] * positions;
    out_cols = kernel.shape[1] * positions;
    // relu and relu6 fuse into the matmul's output clamp, as tfjs's fused matmul does.
    float lo = -INFINITY, hi = INFINITY;
    if (act.kind == Activation::kRelu) lo = 0;
    if (act.kind == Activation::kRelu6) lo = 0, hi = 6;
    const size_t k = static_cast<size_t>(kernel.shape[0]);
    xnn_operator_t op = nullptr;
    const xnn_status status = xnn_create_fully_connected_nc_f32(k, units_, k, units_, kernel.values.data(),
                                                                bias ? bias->values.data() : nullptr, lo, hi,
                                                                XNN_FLAG_TRANSPOSE_WEIGHTS, &op);
    fc_ = Created(status, op, name);
    if (act.kind != Activation::kLinear && act.kind != Activation::kRelu && act.kind != Activation::kRelu6) {
      after_ = std::make_unique<Elementwise>(name, act, kernel.shape[1]);
    }
  }

  bool in_place() const override { return false; }

  void Run(const float* in, float* out, size_t rows) override {
    const size_t batch = rows * positions_;
    Check(xnn_setup_fully_connected_nc_f32(fc_.get(), batch, in, out, nullptr), name);
    Check(xnn_run_operator(fc_.get(), nullptr), name);
    if (after_) after_->Run(out, out, batch);
  }

 private:
  size_t positions_, units_;
  Operator fc_;
  std::unique_ptr<Elementwise> after_;
};

class ActivationStep : public Step {
 public:
  ActivationStep(const std::string& step_name, ActivationSpec act, int64_t cols, int64_t axis_size)
      : group_(static_cast<size_t>(act.kind == Activation::kSoftmax ? axis_size : cols)),
        per_row_(static_cast<size_t>(cols) / group_), op_(step_name, act, static_cast<int64_t>(group_)) {
    name = step_name;
    in_cols = out_cols = cols;
  }
  bool in_place() const override { return true; }
  void Run(const float* in, float* out, size_t rows) override { op_.Run(in, out, rows * per_row_); }

 private:
  size_t group_, per_row_;
  Elementwise op_;
};

class ChannelAffineStep : public Step {
 public:
  ChannelAffineStep(const std::string& step_name, std::vector<float> scale, std::vector<float> shift, int64_t cols)
      : scale_(std::move(scale)), shift_(std::move(shift)) {
    name = step_name;
    in_cols = out_cols = cols;
  }
  bool in_place() const override { return true; }
  void Run(const float* in, float* out, size_t rows) override {
    const size_t ch = scale_.size(), n = rows * static_cast<size_t>(in_cols);
    for (size_t i = 0; i < n; i += ch) {
      for (size_t c = 0; c < ch; ++c) out[i + c] = in[i + c] * scale_[c] + shift_[c];
    }
  }

 private:
  std::vector<float> scale_, shift_;
};
}  // namespace

ActivationSpec ActivationByName(const std::string& name) {
  static const std::pair<const char*, Activation> kNames[] = {
      {"linear", Activation::kLinear},       {"relu", Activation::kRelu},
      {"relu6", Activation::kRelu6},         {"sigmoid", Activation::kSigmoid},
      {"tanh", Activation::kTanh},           {"elu", Activation::kElu},
      {"selu", Activation::kSelu},           {"softplus", Activation::kSoftplus},
      {"softsign", Activation::kSoftsign},   {"swish", Activation::kSwish},
      {"hard_sigmoid", Activation::kHardSigmoid}, {"hardSigmoid", Activation::kHardSigmoid},
      {"mish", Activation::kMish},           {"gelu", Activation::kGelu},
      {"softmax", Activation::kSoftmax},
  };
  for (const auto& [n, kind] : kNames) {
    if (name == n) return ActivationSpec{kind, kind == Activation::kElu ? 1.0f : 0.0f};
  }
  Unsupported("the activation '" + name.substr(0, 64) + "'");
}

std::unique_ptr<Step> MakeDense(const std::string& name, const Tensor& kernel, const Tensor* bias,
                                ActivationSpec activation, int64_t positions) {
  InitializeOnce();
  return std::make_unique<DenseStep>(name, kernel, bias, activation, positions);
}

std::unique_ptr<Step> MakeActivation(const std::string& name, ActivationSpec activation, int64_t cols,
                                     int64_t axis_size) {
  InitializeOnce();
  if (axis_size <= 0 || cols % axis_size != 0) Invalid(name + ": the last axis does not divide the row");
  return std::make_unique<ActivationStep>(name, activation, cols, axis_size);
}

std::unique_ptr<Step> MakeChannelAffine(const std::string& name, std::vector<float> scale, std::vector<float> shift,
                                        int64_t cols) {
  if (scale.empty() || cols % static_cast<int64_t>(scale.size()) != 0) Invalid(name + ": channels do not divide the row");
  return std::make_unique<ChannelAffineStep>(name, std::move(scale), std::move(shift), cols);
}

}  // namespace tfjs_run::native
