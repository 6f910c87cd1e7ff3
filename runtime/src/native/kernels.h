// The steps that work on a row's last axis: dense layers, activations, per-channel affine maps
// (a batch norm folded at load) and prelu's per-channel slopes. Shapes are checked by the callers
// (the loaders); here they are given.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "native/activation.h"
#include "native/tensor.h"

namespace tfjs_run::native {

class Step;

// x·W + b, then the activation, for each of `positions` vectors of kernel.shape[0] values in a
// row (a Dense layer on a rank > 2 input applies to the last axis). W is [in, out]; bias [out]
// or empty. kSoftmax applies over the `out` values of each position.
std::unique_ptr<Step> MakeDense(const std::string& name, const Tensor& kernel, const Tensor* bias,
                                ActivationSpec activation, int64_t positions);

// An activation over rows of `cols` values; kSoftmax over each run of `axis_size` values
// (the last axis).
std::unique_ptr<Step> MakeActivation(const std::string& name, ActivationSpec activation, int64_t cols,
                                     int64_t axis_size);

// An inference batch norm as x·scale + shift per channel: scale = gamma / sqrt(var + eps),
// shift = beta - mean·scale (gamma 1 and beta 0 when null). The statistics must have one value
// per channel (checked by the loaders).
struct ChannelScale {
  std::vector<float> scale, shift;
};
ChannelScale BatchNormScale(const Tensor* gamma, const Tensor* beta, const Tensor& mean, const Tensor& var, float eps);

// x·scale[c] + shift[c] for channel c = index mod scale.size() (a batch norm on the last axis,
// folded at load).
std::unique_ptr<Step> MakeChannelAffine(const std::string& name, std::vector<float> scale, std::vector<float> shift,
                                        int64_t cols);

// tfjs's prelu on rows of shape `dims`: x < 0 ? alpha·x : x. The slopes' shape is the input's
// last axes (a slope per channel, or per value of the last k axes), after 1s for the axes they
// are shared along (Keras' shared_axes, tfjs-converter's [1, 1, C]) and at most a batch axis of
// 1; anything else is declined.
std::unique_ptr<Step> MakePrelu(const std::string& name, const Tensor& alpha, const std::vector<int64_t>& dims);

}  // namespace tfjs_run::native
