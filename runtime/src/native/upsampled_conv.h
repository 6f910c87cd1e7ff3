// A 3x3 convolution (stride 1, same padding) of an image upsampled 2x by nearest neighbour, as
// super-resolution networks end, computed from the image itself. Each of the four phases of the
// output (even or odd row, even or odd column) reads only a 2x2 neighbourhood of input pixels, so
// the 3x3 kernel's taps that land on one input pixel are summed into a 2x2 kernel: four
// convolutions of 4 taps over the image instead of one of 9 taps over four times its pixels (4/9
// of the multiplies), and the upsampled image is never made.
#pragma once

#include <memory>
#include <string>

#include "native/activation.h"
#include "native/spatial.h"
#include "native/tensor.h"

namespace tfjs_run::native {

class Step;

// `in` (the image before upsampling) to a 2·in.h x 2·in.w image of kernel.shape[3] channels;
// kernel [3, 3, in.c, out] (HWIO), bias [out] or null, the activation fused as MakeConv2D fuses it.
std::unique_ptr<Step> MakeUpsampledConv2D(const std::string& name, const Image& in, const Tensor& kernel,
                                          const Tensor* bias, ActivationSpec act);

}  // namespace tfjs_run::native
