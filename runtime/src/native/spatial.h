// The windowed steps over a row that is an NHWC image (height, width, channels, row-major): 2-D
// convolutions (dense, depthwise and transposed, with their bias and activation fused), max and
// average pooling, global pooling. Shapes are checked by the loaders; GeometryOf is where a
// window's output size and TensorFlow's padding are worked out. Resizing and rearranging an
// image is resample.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "native/activation.h"
#include "native/tensor.h"

namespace tfjs_run::native {

class Step;

struct Image {
  int64_t h = 0, w = 0, c = 0;
  int64_t values() const { return h * w * c; }
};
// Invalid() naming `what` unless the image's dimensions are positive and its size in bounds.
void CheckImage(const Image& in, const std::string& what);

// Rows and columns added around an image.
struct Margins {
  int64_t top = 0, bottom = 0, left = 0, right = 0;
  bool any() const { return top || bottom || left || right; }
};

// A sliding window: its size, strides and dilations, with "same" or "valid" padding. A
// convolution's valid window may also take `zeros` around its image first: a ZeroPadding2D or Pad
// folded into it (XNNPACK reads them from its zero buffer, so the image is not copied padded).
struct Window {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  bool same = false;
  Margins zeros;
};

struct Geometry {
  int64_t oh, ow, top, bottom, left, right;
};
// The output size of `win` on `in` and TensorFlow's padding for it (same: out = ceil(in/stride),
// the padding split with the extra row or column after; valid: win.zeros); Invalid() naming
// `what` if the window does not fit or a size is out of range.
Geometry GeometryOf(const Image& in, const Window& win, const std::string& what);

// A convolution with kernel [kh, kw, in.c, out] (TensorFlow's HWIO), bias [out] or null.
std::unique_ptr<Step> MakeConv2D(const std::string& name, const Image& in, const Window& win, const Tensor& kernel,
                                 const Tensor* bias, ActivationSpec act);
// A depthwise convolution with kernel [kh, kw, in.c, multiplier]: output channel c·m + k is
// input channel c under filter k. Bias [in.c · multiplier] or null.
std::unique_ptr<Step> MakeDepthwiseConv2D(const std::string& name, const Image& in, const Window& win,
                                          const Tensor& kernel, const Tensor* bias, ActivationSpec act);

// A transposed convolution (Keras Conv2DTranspose) with kernel [kh, kw, out, in.c] and bias
// [out] or null; win.same: out = in·stride, else in·stride + max(k - stride, 0). No dilation.
std::unique_ptr<Step> MakeConv2DTranspose(const std::string& name, const Image& in, const Window& win,
                                          const Tensor& kernel, const Tensor* bias, ActivationSpec act);
// Its output size.
Image TransposedOutput(const Image& in, const Window& win, int64_t out_channels);

enum class Pool { kMax, kAverage, kSum };  // kSum: global pooling only
// Pooling over `win` (no folded zeros: a max would see them); average pooling counts only the
// values inside the image, as TensorFlow does with same padding.
std::unique_ptr<Step> MakePool2D(const std::string& name, Pool kind, const Image& in, const Window& win);
// Pooling over all `positions` of each of `channels` channels: a row of `channels` values.
std::unique_ptr<Step> MakeGlobalPool(const std::string& name, Pool kind, int64_t positions, int64_t channels);
}  // namespace tfjs_run::native
