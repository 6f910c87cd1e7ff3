#include "native/spatial.h"

#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "native/plan.h"
#include "native/xnn.h"

namespace tfjs_run::native {

namespace {
constexpr int64_t kMaxWindow = 1 << 12;  // a kernel, stride, dilation or padding

// The floats' worth of pointers XNNPACK's indirection buffer takes per row; Invalid() past
// kMaxElements (a hostile window on a large image).
int64_t IndirectionFloats(int64_t pixels, const Window& win) {
  const int64_t taps = win.kh * win.kw;
  if (pixels <= 0 || taps <= 0 || pixels > kMaxElements / taps) Invalid("a window's indirection buffer is out of range");
  return pixels * taps * static_cast<int64_t>(sizeof(void*) / sizeof(float));
}

uint32_t U32(int64_t v) { return static_cast<uint32_t>(v); }

// A convolution, or a transposed one (XNNPACK's deconvolution, with `adjust` rows and columns
// past the full output), with its activation after it when the kernel's clamp cannot do it.
class ConvStep : public Step {
 public:
  ConvStep(const std::string& step_name, const Image& in, const Image& out, const Window& win, ActivationSpec act,
           bool transposed = false, int64_t adjust_h = 0, int64_t adjust_w = 0)
      : in_(in), pixels_(static_cast<size_t>(out.h * out.w)), transposed_(transposed), adjust_h_(U32(adjust_h)),
        adjust_w_(U32(adjust_w)) {
    name = step_name;
    in_cols = {in.values()};
    out_cols = out.values();
    extra_floats = IndirectionFloats(out.h * out.w, win);
    if (!ClampOf(act).whole) after_ = std::make_unique<Elementwise>(name, act, out.c);
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t h = static_cast<size_t>(in_.h), w = static_cast<size_t>(in_.w);
    xnn::Check(transposed_ ? xnn_setup_deconvolution2d_nhwc_f32(op.get(), rows, h, w, adjust_h_, adjust_w_, in[0], out,
                                                                nullptr)
                           : xnn_setup_convolution2d_nhwc_f32(op.get(), rows, h, w, in[0], out, nullptr),
               name);
    xnn::Run(op.get(), name);
    if (after_) after_->Run(out, out, rows * pixels_);
  }
  xnn::Operator op;

 private:
  Image in_;
  size_t pixels_;
  bool transposed_;
  uint32_t adjust_h_, adjust_w_;
  std::unique_ptr<Elementwise> after_;
};

std::unique_ptr<Step> Conv(const std::string& name, const Image& in, const Window& win, const float* kernel,
                           const Tensor* bias, int64_t groups, int64_t group_in, int64_t group_out, uint32_t flags,
                           ActivationSpec act) {
  xnn::InitializeOnce();
  const Geometry g = GeometryOf(in, win, name);
  const int64_t out_c = groups * group_out;
  if (bias && bias->shape != std::vector<int64_t>{out_c}) Invalid(name + ": the bias does not match the filters");
  Elements({g.oh, g.ow, out_c}, name + "'s output");
  auto step = std::make_unique<ConvStep>(name, in, Image{g.oh, g.ow, out_c}, win, act);
  const FusedClamp clamp = ClampOf(act);
  xnn_operator_t op = nullptr;
  const xnn_status status = xnn_create_convolution2d_nhwc_f32(
      U32(g.top), U32(g.right), U32(g.bottom), U32(g.left), U32(win.kh), U32(win.kw), U32(win.sh), U32(win.sw),
      U32(win.dh), U32(win.dw), U32(groups), static_cast<size_t>(group_in), static_cast<size_t>(group_out),
      static_cast<size_t>(in.c), static_cast<size_t>(out_c), kernel, bias ? bias->values.data() : nullptr, clamp.lo,
      clamp.hi, flags, &op);
  step->op = xnn::Created(status, &op, name);
  return step;
}

class PoolStep : public Step {
 public:
  PoolStep(const std::string& step_name, Pool kind, const Image& in, const Geometry& g) : kind_(kind), in_(in) {
    name = step_name;
    in_cols = {in.values()};
    out_cols = g.oh * g.ow * in.c;
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t h = static_cast<size_t>(in_.h), w = static_cast<size_t>(in_.w);
    xnn::Check(kind_ == Pool::kMax ? xnn_setup_max_pooling2d_nhwc_f32(op.get(), rows, h, w, in[0], out, nullptr)
                                   : xnn_setup_average_pooling2d_nhwc_f32(op.get(), rows, h, w, in[0], out, nullptr),
               name);
    xnn::Run(op.get(), name);
  }
  xnn::Operator op;

 private:
  Pool kind_;
  Image in_;
};

// A loop rather than XNNPACK's global average pooling, which sums in float32: over millions of
// positions (behind a large resize) its mean of values that are all 3 came out as 2.56. Sums
// and means accumulate in double here, as tfjs's cpu backend sums in JS numbers.
class GlobalPoolStep : public Step {
 public:
  GlobalPoolStep(const std::string& step_name, Pool kind, int64_t positions, int64_t channels)
      : kind_(kind), positions_(static_cast<size_t>(positions)), channels_(static_cast<size_t>(channels)),
        acc_(channels_) {
    name = step_name;
    in_cols = {positions * channels};
    out_cols = channels;
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    for (size_t r = 0; r < rows; ++r) {
      const float* x = in[0] + r * positions_ * channels_;
      float* y = out + r * channels_;
      if (kind_ == Pool::kMax) {
        std::memcpy(y, x, channels_ * sizeof(float));
        for (size_t p = 1; p < positions_; ++p) {
          for (size_t c = 0; c < channels_; ++c) y[c] = std::max(y[c], x[p * channels_ + c]);
        }
        continue;
      }
      std::fill(acc_.begin(), acc_.end(), 0.0);
      for (size_t p = 0; p < positions_; ++p) {
        for (size_t c = 0; c < channels_; ++c) acc_[c] += x[p * channels_ + c];
      }
      const double scale = kind_ == Pool::kAverage ? 1.0 / static_cast<double>(positions_) : 1.0;
      for (size_t c = 0; c < channels_; ++c) y[c] = static_cast<float>(acc_[c] * scale);
    }
  }

 private:
  Pool kind_;
  size_t positions_, channels_;
  std::vector<double> acc_;  // per channel, reused by every call
};

}  // namespace

void CheckImage(const Image& in, const std::string& what) { Elements({in.h, in.w, in.c}, what + "'s input"); }

Geometry GeometryOf(const Image& in, const Window& win, const std::string& what) {
  CheckImage(in, what);
  for (int64_t v : {win.kh, win.kw, win.sh, win.sw, win.dh, win.dw}) {
    if (v < 1 || v > kMaxWindow) Invalid(what + " has a window size, stride or dilation out of range");
  }
  for (int64_t v : {win.zeros.top, win.zeros.bottom, win.zeros.left, win.zeros.right}) {
    if (v < 0 || v > kMaxWindow) Invalid(what + " has a padding out of range");
  }
  if (win.same && win.zeros.any()) Invalid(what + ": a window with same padding takes no folded padding");
  auto axis = [&](int64_t size, int64_t k, int64_t s, int64_t d, int64_t zeros_before, int64_t zeros_after,
                  int64_t& out, int64_t& before, int64_t& after) {
    const int64_t span = (k - 1) * d + 1;
    if (win.same) {
      out = (size + s - 1) / s;
      const int64_t total = std::max<int64_t>((out - 1) * s + span - size, 0);
      before = total / 2;
      after = total - before;
    } else {
      size += zeros_before + zeros_after;
      if (span > size) Invalid(what + ": the window is larger than its input with valid padding");
      out = (size - span) / s + 1;
      before = zeros_before;
      after = zeros_after;
    }
  };
  Geometry g{};
  axis(in.h, win.kh, win.sh, win.dh, win.zeros.top, win.zeros.bottom, g.oh, g.top, g.bottom);
  axis(in.w, win.kw, win.sw, win.dw, win.zeros.left, win.zeros.right, g.ow, g.left, g.right);
  return g;
}

std::unique_ptr<Step> MakeConv2D(const std::string& name, const Image& in, const Window& win, const Tensor& kernel,
                                 const Tensor* bias, ActivationSpec act) {
  CheckImage(in, name);
  if (kernel.shape.size() != 4 || kernel.shape[0] != win.kh || kernel.shape[1] != win.kw || kernel.shape[2] != in.c) {
    Invalid(name + ": the kernel does not match the window and input channels");
  }
  const size_t kh = static_cast<size_t>(win.kh), kw = static_cast<size_t>(win.kw);
  const size_t ci = static_cast<size_t>(in.c), co = static_cast<size_t>(kernel.shape[3]);
  std::vector<float> ohwi(kernel.values.size());  // XNNPACK's layout: [out][kh][kw][in]
  for (size_t y = 0; y < kh; ++y) {
    for (size_t x = 0; x < kw; ++x) {
      for (size_t i = 0; i < ci; ++i) {
        for (size_t o = 0; o < co; ++o) ohwi[((o * kh + y) * kw + x) * ci + i] = kernel.values[((y * kw + x) * ci + i) * co + o];
      }
    }
  }
  return Conv(name, in, win, ohwi.data(), bias, 1, in.c, kernel.shape[3], 0, act);
}

std::unique_ptr<Step> MakeDepthwiseConv2D(const std::string& name, const Image& in, const Window& win,
                                          const Tensor& kernel, const Tensor* bias, ActivationSpec act) {
  CheckImage(in, name);
  if (kernel.shape.size() != 4 || kernel.shape[0] != win.kh || kernel.shape[1] != win.kw || kernel.shape[2] != in.c) {
    Invalid(name + ": the depthwise kernel does not match the window and input channels");
  }
  // [kh][kw][c][m] is XNNPACK's depthwise layout [kh][kw][c·m] as it stands.
  return Conv(name, in, win, kernel.values.data(), bias, in.c, 1, kernel.shape[3], XNN_FLAG_DEPTHWISE_CONVOLUTION,
              act);
}

Image TransposedOutput(const Image& in, const Window& win, int64_t out_channels) {
  auto axis = [&](int64_t size, int64_t k, int64_t s) { return win.same ? size * s : size * s + std::max<int64_t>(k - s, 0); };
  return Image{axis(in.h, win.kh, win.sh), axis(in.w, win.kw, win.sw), out_channels};
}

std::unique_ptr<Step> MakeConv2DTranspose(const std::string& name, const Image& in, const Window& win,
                                          const Tensor& kernel, const Tensor* bias, ActivationSpec act) {
  xnn::InitializeOnce();
  CheckImage(in, name);
  for (int64_t v : {win.kh, win.kw, win.sh, win.sw}) {
    if (v < 1 || v > kMaxWindow) Invalid(name + " has a window size or stride out of range");
  }
  if (win.zeros.any()) Invalid(name + ": a transposed convolution takes no folded padding");
  if (win.dh != 1 || win.dw != 1) Unsupported(name + " with dilation");
  if (kernel.shape.size() != 4 || kernel.shape[0] != win.kh || kernel.shape[1] != win.kw || kernel.shape[3] != in.c) {
    Invalid(name + ": the kernel does not match the window and input channels");
  }
  const int64_t out_c = kernel.shape[2];
  if (bias && bias->shape != std::vector<int64_t>{out_c}) Invalid(name + ": the bias does not match the filters");
  const Image out = TransposedOutput(in, win, out_c);
  Elements({out.h, out.w, out.c}, name + "'s output");
  // XNNPACK computes the full (in - 1)·stride + k and crops `padding` from it, or adds
  // `adjustment` (< stride) rows of bias alone when the output is larger; TensorFlow's padding
  // of the equivalent forward convolution puts the odd one after.
  int64_t pad[4] = {0, 0, 0, 0}, adjust[2] = {0, 0};
  const int64_t full[2] = {(in.h - 1) * win.sh + win.kh, (in.w - 1) * win.sw + win.kw};
  const int64_t want[2] = {out.h, out.w}, stride[2] = {win.sh, win.sw};
  for (int a = 0; a < 2; ++a) {
    const int64_t total = full[a] - want[a];
    if (total >= 0) {
      pad[2 * a] = total / 2;
      pad[2 * a + 1] = total - total / 2;
    } else {
      adjust[a] = -total;
      if (adjust[a] >= stride[a]) Invalid(name + ": the output size cannot be reached");
    }
  }
  const size_t kh = static_cast<size_t>(win.kh), kw = static_cast<size_t>(win.kw);
  const size_t co = static_cast<size_t>(out_c), ci = static_cast<size_t>(in.c);
  std::vector<float> ohwi(kernel.values.size());  // Keras [kh][kw][out][in] to XNNPACK's [out][kh][kw][in]
  for (size_t y = 0; y < kh; ++y) {
    for (size_t x = 0; x < kw; ++x) {
      for (size_t o = 0; o < co; ++o) {
        for (size_t i = 0; i < ci; ++i) ohwi[((o * kh + y) * kw + x) * ci + i] = kernel.values[((y * kw + x) * co + o) * ci + i];
      }
    }
  }
  auto step = std::make_unique<ConvStep>(name, in, out, win, act, true, adjust[0], adjust[1]);
  const FusedClamp clamp = ClampOf(act);
  xnn_operator_t op = nullptr;
  const xnn_status status = xnn_create_deconvolution2d_nhwc_f32(
      U32(pad[0]), U32(pad[3]), U32(pad[1]), U32(pad[2]), U32(win.kh), U32(win.kw), U32(win.sh), U32(win.sw), 1, 1, 1, ci,
      co, ci, co, ohwi.data(), bias ? bias->values.data() : nullptr, clamp.lo, clamp.hi, 0, &op);
  step->op = xnn::Created(status, &op, name);
  return step;
}

std::unique_ptr<Step> MakePool2D(const std::string& name, Pool kind, const Image& in, const Window& win) {
  xnn::InitializeOnce();
  if (kind == Pool::kSum) Invalid(name + ": a sum over a window is not a pooling the executor has");
  if (win.zeros.any()) Invalid(name + ": pooling takes no folded padding");
  // XNNPACK's average pooling has no dilation: declined, never sized with a window it ignores.
  if (kind == Pool::kAverage && (win.dh != 1 || win.dw != 1)) Unsupported(name + ": average pooling with dilation");
  const Geometry g = GeometryOf(in, win, name);
  auto step = std::make_unique<PoolStep>(name, kind, in, g);
  step->extra_floats = IndirectionFloats(g.oh * g.ow, win);
  // Average pooling with padding also keeps a divisor per output pixel.
  if (kind == Pool::kAverage) step->fixed_floats = g.oh * g.ow;
  const size_t c = static_cast<size_t>(in.c);
  xnn_operator_t op = nullptr;
  const xnn_status status =
      kind == Pool::kMax
          ? xnn_create_max_pooling2d_nhwc_f32(U32(g.top), U32(g.right), U32(g.bottom), U32(g.left), U32(win.kh),
                                              U32(win.kw), U32(win.sh), U32(win.sw), U32(win.dh), U32(win.dw), c, c, c,
                                              -INFINITY, INFINITY, 0, &op)
          : xnn_create_average_pooling2d_nhwc_f32(U32(g.top), U32(g.right), U32(g.bottom), U32(g.left), U32(win.kh),
                                                  U32(win.kw), U32(win.sh), U32(win.sw), c, c, c, -INFINITY, INFINITY,
                                                  0, &op);
  step->op = xnn::Created(status, &op, name);
  return step;
}

std::unique_ptr<Step> MakeGlobalPool(const std::string& name, Pool kind, int64_t positions, int64_t channels) {
  Elements({positions, channels}, name + "'s input");
  return std::make_unique<GlobalPoolStep>(name, kind, positions, channels);
}

}  // namespace tfjs_run::native
