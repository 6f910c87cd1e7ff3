#include "native/activation.h"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "native/tensor.h"

namespace tfjs_run::native {

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

FusedClamp ClampOf(ActivationSpec act) {
  if (act.kind == Activation::kRelu) return {0.0f, INFINITY, true};
  if (act.kind == Activation::kRelu6) return {0.0f, 6.0f, true};
  return {-INFINITY, INFINITY, act.kind == Activation::kLinear};
}

Elementwise::Elementwise(const std::string& name, ActivationSpec act, int64_t channels)
    : act_(act), name_(name), channels_(static_cast<size_t>(channels)) {
  xnn::InitializeOnce();
  xnn_operator_t op = nullptr;
  const size_t c = static_cast<size_t>(channels);
  xnn_status status = xnn_status_success;
  switch (act.kind) {
    case Activation::kSigmoid: status = xnn_create_sigmoid_nc_f32(c, c, c, 0, &op); break;
    case Activation::kSoftmax:
      if (c <= kNarrowSoftmax) return;  // a loop: XNNPACK's per-row calls cost more than the math
      status = xnn_create_softmax_nc_f32(c, c, c, 0, &op);
      break;
    case Activation::kElu: status = xnn_create_elu_nc_f32(c, c, c, act.alpha, 0, &op); break;
    case Activation::kLeakyRelu: status = xnn_create_leaky_relu_nc_f32(c, c, c, act.alpha, 0, &op); break;
    case Activation::kHardSwish: status = xnn_create_hardswish_nc_f32(c, c, c, 0, &op); break;
    default: return;  // a loop (relu and relu6 too: XNNPACK's clamp makes NaN 0, tfjs's Math.max keeps it)
  }
  op_ = xnn::Created(status, &op, name);
}

void Elementwise::Run(const float* in, float* out, size_t count) {
  if (op_) {
    xnn_status status;
    switch (act_.kind) {
      case Activation::kSigmoid: status = xnn_setup_sigmoid_nc_f32(op_.get(), count, in, out, nullptr); break;
      case Activation::kSoftmax:
        NonFiniteSoftmaxRuns(in, count);  // before the run: it may be in place
        status = xnn_setup_softmax_nc_f32(op_.get(), count, in, out, nullptr);
        break;
      case Activation::kElu: status = xnn_setup_elu_nc_f32(op_.get(), count, in, out, nullptr); break;
      case Activation::kLeakyRelu: status = xnn_setup_leaky_relu_nc_f32(op_.get(), count, in, out, nullptr); break;
      default: status = xnn_setup_hardswish_nc_f32(op_.get(), count, in, out, nullptr); break;
    }
    xnn::Check(status, name_);
    xnn::Run(op_.get(), name_);
    for (size_t run : nan_runs_) std::fill_n(out + run * channels_, channels_, NAN);
    return;
  }
  Loop(in, out, count * channels_);
}

void Elementwise::Loop(const float* in, float* out, size_t n) const {
  switch (act_.kind) {
    case Activation::kLinear:
      if (in != out) std::memcpy(out, in, n * sizeof(float));
      break;
    case Activation::kRelu:  // tfjs: Math.max(0, x), so NaN stays NaN
      for (size_t i = 0; i < n; ++i) out[i] = in[i] < 0 ? 0.0f : in[i];
      break;
    case Activation::kRelu6:  // tfjs: Math.min(Math.max(0, x), 6)
      for (size_t i = 0; i < n; ++i) out[i] = in[i] < 0 ? 0.0f : in[i] > 6 ? 6.0f : in[i];
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
      for (size_t i = 0; i < n; ++i) {  // comparisons, as tfjs's clipByValue: fmin/fmax would drop NaN
        const float y = 0.2f * in[i] + 0.5f;
        out[i] = y > 1 ? 1.0f : y < 0 ? 0.0f : y;
      }
      break;
    case Activation::kMish:
      for (size_t i = 0; i < n; ++i) out[i] = in[i] * std::tanh(std::log1p(std::exp(in[i])));
      break;
    case Activation::kGelu:
      for (size_t i = 0; i < n; ++i) out[i] = 0.5f * in[i] * (1.0f + std::erf(in[i] * 0.7071067811865476f));
      break;
    case Activation::kSoftmax:
      NarrowSoftmax(in, out, n / channels_);
      break;
    default:
      throw RunError(name_ + ": no loop for its activation", false);
  }
}

namespace {
// The largest of a softmax run's n values into `max`; false when tfjs's softmax of the run is all
// NaN: a value is NaN, or the largest is infinite (x - max holds NaN then), as with only -inf.
bool SoftmaxMax(const float* x, size_t n, float& max) {
  max = -INFINITY;
  bool nan = false;
  for (size_t i = 0; i < n; ++i) {
    nan |= std::isnan(x[i]);
    max = x[i] > max ? x[i] : max;
  }
  return !nan && std::isfinite(max);
}

// tfjs's CPU softmax, run by run: exp(x - max(x)) over its sum. Its max skips NaN after the first
// value, and x - max holds NaN if max is NaN or infinite: the whole run is NaN then, as there.
// kChannels, when not 0, is the run's length known at compile time (the loops unroll).
template <size_t kChannels>
void SoftmaxRuns(const float* in, float* out, size_t count, size_t channels) {
  const size_t c = kChannels != 0 ? kChannels : channels;
  float e[Elementwise::kNarrowSoftmax];
  for (size_t run = 0; run < count; ++run) {
    const float* x = in + run * c;
    float* y = out + run * c;
    float max;
    if (!SoftmaxMax(x, c, max)) {
      std::fill_n(y, c, NAN);
      continue;
    }
    double sum = 0;  // a JS number, as tfjs's sum
    for (size_t i = 0; i < c; ++i) {
      e[i] = std::exp(x[i] - max);
      sum += e[i];
    }
    const float total = static_cast<float>(sum);
    for (size_t i = 0; i < c; ++i) y[i] = e[i] / total;  // after every x is read: may be in place
  }
}
}  // namespace

void Elementwise::NarrowSoftmax(const float* in, float* out, size_t count) const {
  switch (channels_) {
    case 2: return SoftmaxRuns<2>(in, out, count, channels_);
    case 3: return SoftmaxRuns<3>(in, out, count, channels_);
    case 4: return SoftmaxRuns<4>(in, out, count, channels_);
    default: return SoftmaxRuns<0>(in, out, count, channels_);
  }
}

void Elementwise::NonFiniteSoftmaxRuns(const float* in, size_t count) {
  nan_runs_.clear();
  for (size_t run = 0; run < count; ++run) {
    float max;
    if (!SoftmaxMax(in + run * channels_, channels_, max)) nan_runs_.push_back(run);
  }
}

}  // namespace tfjs_run::native
