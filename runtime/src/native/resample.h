// The steps that resize or rearrange an NHWC image row without weights: padding, cropping,
// nearest and bilinear resizing, depth to space, and transposing or slicing the axes of any row.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "native/spatial.h"

namespace tfjs_run::native {

class Step;

// Zeros around the image: `top` rows above, `left` columns before, and so on.
std::unique_ptr<Step> MakeZeroPad2D(const std::string& name, const Image& in, int64_t top, int64_t bottom,
                                    int64_t left, int64_t right);
// `value` around a row of shape `dims` (of rank at most 5): before[i] values before its axis i
// and after[i] after it, on any axis (the channels too).
std::unique_ptr<Step> MakePad(const std::string& name, const std::vector<int64_t>& dims,
                              const std::vector<int64_t>& before, const std::vector<int64_t>& after, float value);
// The image without `top` rows above, `left` columns before, and so on.
std::unique_ptr<Step> MakeCrop2D(const std::string& name, const Image& in, int64_t top, int64_t bottom, int64_t left,
                                 int64_t right);
// Each pixel repeated sh times down and sw times across (TensorFlow's nearest neighbour resize
// by whole factors, without align_corners).
std::unique_ptr<Step> MakeUpSampleNearest(const std::string& name, const Image& in, int64_t sh, int64_t sw);
// TensorFlow's nearest neighbour resize to oh x ow, by any factor: with align_corners, or
// half_pixel_centers, or neither, each output pixel the input pixel tfjs maps it to.
std::unique_ptr<Step> MakeResizeNearest(const std::string& name, const Image& in, int64_t oh, int64_t ow,
                                        bool align_corners, bool half_pixel_centers);
// TensorFlow's bilinear resize to oh x ow: with align_corners, or half_pixel_centers, or
// neither (the legacy mapping tfjs-layers' UpSampling2D uses).
std::unique_ptr<Step> MakeResizeBilinear(const std::string& name, const Image& in, int64_t oh, int64_t ow,
                                         bool align_corners, bool half_pixel_centers);
// TensorFlow's DepthToSpace (NHWC): each pixel's channels become a block x block patch of
// in.c / block² channels.
std::unique_ptr<Step> MakeDepthToSpace(const std::string& name, const Image& in, int64_t block);

// A row of shape `dims` with its axes permuted: output axis i is input axis perm[i].
std::unique_ptr<Step> MakeTranspose(const std::string& name, const std::vector<int64_t>& dims,
                                    const std::vector<int64_t>& perm);

// The values of a row of shape `dims` at begin[a] + i·step[a] for i < length[a] along each axis a
// (a step may be negative): a strided slice whose axes were worked out by the loader. Invalid()
// naming `name` unless every index is inside the row.
std::unique_ptr<Step> MakeStridedSlice(const std::string& name, const std::vector<int64_t>& dims,
                                       const std::vector<int64_t>& begin, const std::vector<int64_t>& step,
                                       const std::vector<int64_t>& length);

}  // namespace tfjs_run::native
