#include "native/kernels.h"

#include <xnnpack.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <cmath>
#include <vector>

#include "native/plan.h"
#include "native/xnn.h"

namespace tfjs_run::native {

namespace {
// XNNPACK's matmul clamps its sums even to [-inf, inf], and its clamp makes NaN the lower bound,
// so a row whose sums hold inf - inf or 0 * inf would answer -inf (or relu's 0) where tfjs answers
// NaN. Such rows are those with a non-finite input, or with inputs large enough that a sum may
// overflow: each row is checked against a bound (the largest input times the largest column sum
// of |weight|, plus the largest |bias|), and those over it are computed again as tfjs's CPU
// backend does: sums in double, rounded to float32, the bias added, then the activation.
// The largest |x[i]| of n values, by its bits. For floats without sign the order of their bits is
// their order, and NaN's and infinity's lie above every finite value's: an integer maximum, which
// vectorizes, where a float reduction that must see NaN is one chain of dependent steps. Lanes of
// a fixed count, so that the compiler vectorizes them at -O2.
inline __attribute__((always_inline)) int64_t LargestBitsLoop(const float* x, size_t n) {
  constexpr size_t kLanes = 16;
  int32_t lanes[kLanes] = {};  // |x| bits fit in 31: signed maxima
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) {
      lanes[l] = std::max(lanes[l], static_cast<int32_t>(std::bit_cast<uint32_t>(x[i + l]) & 0x7fffffffu));
    }
  }
  for (; i < n; ++i) lanes[0] = std::max(lanes[0], static_cast<int32_t>(std::bit_cast<uint32_t>(x[i]) & 0x7fffffffu));
  return *std::max_element(lanes, lanes + kLanes);  // widened: kNoneSafe is below it
}
// The same loop compiled for AVX2: SSE2, the baseline, has no 32-bit integer maximum, and its
// emulation took a fifth of an MLP's call. Chosen by a CPU check once, not by an ifunc (whose
// resolver runs before a sanitizer's runtime is up).
__attribute__((target("avx2"))) int64_t LargestBitsAvx2(const float* x, size_t n) { return LargestBitsLoop(x, n); }
int64_t LargestBitsBaseline(const float* x, size_t n) { return LargestBitsLoop(x, n); }
int64_t LargestBits(const float* x, size_t n) {
  static const bool avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return avx2 ? LargestBitsAvx2(x, n) : LargestBitsBaseline(x, n);
}

class DenseStep : public Step {
 public:
  DenseStep(const std::string& step_name, const Tensor& kernel, const Tensor* bias, ActivationSpec act,
            int64_t positions)
      : positions_(static_cast<size_t>(positions)),
        k_(static_cast<size_t>(kernel.shape[0])),
        units_(static_cast<size_t>(kernel.shape[1])),
        weights_(kernel.values),
        bias_(bias ? bias->values : std::vector<float>()),
        act_(act) {
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
    fused_ = clamp.whole;
    if (!clamp.whole) after_ = std::make_unique<Elementwise>(name, act, kernel.shape[1]);
    std::vector<double> column_sums(units_, 0.0);
    for (size_t i = 0; i < k_; ++i) {
      for (size_t j = 0; j < units_; ++j) column_sums[j] += std::fabs(weights_[i * units_ + j]);
    }
    double column_bound = 0, bias_bound = 0;
    for (double sum : column_sums) column_bound = std::max(column_bound, sum);
    for (float b : bias_) bias_bound = std::max(bias_bound, static_cast<double>(std::fabs(b)));
    safe_bits_ = SafeBits(column_bound, bias_bound);
  }

  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t batch = rows * positions_;
    xnn::Check(xnn_setup_fully_connected_nc_f32(fc_.get(), batch, in[0], out, nullptr), name);
    xnn::Run(fc_.get(), name);
    if (LargestBits(in[0], batch * k_) > safe_bits_) {  // some row may overflow: find which
      for (size_t r = 0; r < batch; ++r) {
        if (LargestBits(in[0] + r * k_, k_) <= safe_bits_) continue;
        // Slower than XNNPACK, and a bundle's weights can send every row here: the deadline is
        // checked per row, not only between steps.
        if (stop && *stop && (*stop)()) throw RunError("stopped in step " + name, true);
        RunAsTfjs(in[0] + r * k_, out + r * units_);
      }
    }
    if (after_) after_->Run(out, out, batch);
  }

 private:
  // A row's sums cannot overflow float32 (nor hold NaN or infinity), with a margin for float32
  // rounding in XNNPACK's sums, when its largest |x| times the largest column sum of |weight|, plus
  // the largest |bias|, is at most kSafeSum. As bits: the largest such |x|, or kNoneSafe.
  static constexpr int64_t kNoneSafe = -1;  // below every row's LargestBits, zeros' too
  static int64_t SafeBits(double column_bound, double bias_bound) {
    constexpr double kSafeSum = 1e38;  // FLT_MAX is 3.4e38
    auto safe = [&](float largest) { return static_cast<double>(largest) * column_bound + bias_bound <= kSafeSum; };
    if (!safe(0)) return kNoneSafe;
    float largest = std::numeric_limits<float>::max();
    if (!safe(largest)) {
      largest = static_cast<float>((kSafeSum - bias_bound) / column_bound);
      while (largest > 0 && !safe(largest)) largest = std::nextafter(largest, 0.0f);
    }
    return std::bit_cast<uint32_t>(largest);
  }


  // One row as tfjs's CPU backend computes it (a JS number is a double); the fused activation
  // keeps NaN, as Math.max(0, x) does.
  void RunAsTfjs(const float* x, float* y) const {
    std::vector<double> sums(units_, 0.0);
    for (size_t i = 0; i < k_; ++i) {
      const double xi = x[i];
      const float* w = weights_.data() + i * units_;
      for (size_t j = 0; j < units_; ++j) sums[j] += xi * static_cast<double>(w[j]);
    }
    for (size_t j = 0; j < units_; ++j) {
      float v = static_cast<float>(sums[j]);
      if (!bias_.empty()) v = static_cast<float>(static_cast<double>(v) + bias_[j]);
      if (fused_ && act_.kind == Activation::kRelu) v = v < 0 ? 0.0f : v;
      if (fused_ && act_.kind == Activation::kRelu6) v = v < 0 ? 0.0f : v > 6 ? 6.0f : v;
      y[j] = v;
    }
  }

  size_t positions_, k_, units_;
  std::vector<float> weights_, bias_;  // kept for RunAsTfjs: XNNPACK holds them packed
  ActivationSpec act_;
  bool fused_ = false;
  int64_t safe_bits_ = kNoneSafe;
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

// tfjs's prelu: x < 0 ? alpha·x : x, alpha repeating along the row (per channel, or per value of
// the last axes).
class PreluStep : public Step {
 public:
  PreluStep(const std::string& step_name, std::vector<float> alpha, int64_t cols) : alpha_(std::move(alpha)) {
    name = step_name;
    in_cols = {cols};
    out_cols = cols;
  }
  bool in_place() const override { return true; }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t period = alpha_.size(), n = rows * static_cast<size_t>(out_cols);
    const float* x = in[0];
    for (size_t i = 0; i < n; i += period) {
      for (size_t c = 0; c < period; ++c) out[i + c] = x[i + c] < 0 ? alpha_[c] * x[i + c] : x[i + c];
    }
  }

 private:
  std::vector<float> alpha_;
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

std::unique_ptr<Step> MakePrelu(const std::string& name, const Tensor& alpha, const std::vector<int64_t>& dims) {
  std::vector<int64_t> shape = alpha.shape;
  if (shape.size() > dims.size() + 1) Unsupported(name + " with slopes of higher rank than its input");
  if (shape.size() == dims.size() + 1) {
    if (shape[0] != 1) Unsupported(name + " with slopes over the batch");
    shape.erase(shape.begin());
  }
  // The slopes' leading 1s, then the input's last axes: they repeat along the row.
  size_t first = 0;
  while (first < shape.size() && shape[first] == 1) ++first;
  const size_t from = dims.size() - shape.size();
  for (size_t i = first; i < shape.size(); ++i) {
    if (shape[i] != dims[from + i]) Unsupported(name + " with slopes shared along other than its first axes");
  }
  const int64_t cols = Elements(dims.empty() ? std::vector<int64_t>{1} : dims, name + "'s input");
  const int64_t period = Elements(shape.empty() ? std::vector<int64_t>{1} : shape, name + "'s slopes");
  if (static_cast<int64_t>(alpha.values.size()) != period || cols % period != 0) {
    Invalid(name + ": its slopes do not fit");
  }
  return std::make_unique<PreluStep>(name, alpha.values, cols);
}

}  // namespace tfjs_run::native
