// TensorFlow's StridedSlice in terms of its input's axes: which elements of each axis it takes,
// and the shape it makes (begin, end and stride per sliced axis, their masks, an ellipsis, new
// axes, shrunk axes). Shared by the shape arithmetic folded at load (const_fold.h) and the slices
// of computed values (resample.h MakeStridedSlice).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tfjs_run::native {

struct SliceMasks {
  int64_t begin = 0, end = 0, ellipsis = 0, new_axis = 0, shrink_axis = 0;
};

// The elements taken along one input axis: begin + i·step for i < length.
struct AxisSlice {
  int64_t begin = 0, step = 1, length = 0;
  bool shrink = false;  // one element, and the axis dropped
};

struct SliceSpec {
  std::vector<AxisSlice> axes;    // one per input axis
  std::vector<int64_t> shape;     // the output's: the axes not shrunk, and the new axes (1)
  int64_t first_new_axes = 0;     // new axes before the first input axis in the output
};

// An axis whose size is not known at load: the batch. A slice may only take all of it.
inline constexpr int64_t kUnknownSize = -1;

// StridedSlice over an input of shape `dims` (kUnknownSize for the batch). Unsupported() naming
// `what` for a slice of an unknown axis other than all of it, or an empty result; Invalid() for
// what TensorFlow refuses (a stride of 0, several ellipses, more axes than the input has).
SliceSpec ResolveStridedSlice(const std::vector<int64_t>& dims, const std::vector<int64_t>& begin,
                              const std::vector<int64_t>& end, const std::vector<int64_t>& strides,
                              const SliceMasks& masks, const std::string& what);

}  // namespace tfjs_run::native
