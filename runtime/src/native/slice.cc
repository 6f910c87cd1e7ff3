#include "native/slice.h"

#include <algorithm>

#include "native/tensor.h"

namespace tfjs_run::native {

namespace {
constexpr int64_t kWhole = int64_t{1} << 30;  // an end past any axis: all of an unknown axis

AxisSlice All(int64_t size) { return AxisSlice{0, 1, size, false}; }

AxisSlice Resolve(int64_t size, int64_t begin, int64_t end, int64_t stride, bool begin_masked, bool end_masked,
                  bool shrink, const std::string& what) {
  if (stride == 0) Invalid(what + " has a stride of 0");
  if (size == kUnknownSize) {
    if (shrink || stride != 1 || (!begin_masked && begin != 0) || (!end_masked && end < kWhole)) {
      Unsupported(what + " slicing the batch axis");
    }
    return All(size);
  }
  if (shrink) {
    if (begin < 0) begin += size;
    if (begin < 0 || begin >= size) Invalid(what + " takes an element past its input");
    return AxisSlice{begin, 1, 1, true};
  }
  auto clamp = [&](int64_t v) {
    if (v < 0) v += size;
    return stride > 0 ? std::clamp<int64_t>(v, 0, size) : std::clamp<int64_t>(v, -1, size - 1);
  };
  const int64_t b = begin_masked ? (stride > 0 ? 0 : size - 1) : clamp(begin);
  const int64_t e = end_masked ? (stride > 0 ? size : -1) : clamp(end);
  const int64_t length = stride > 0 ? (e - b + stride - 1) / stride : (b - e - stride - 1) / -stride;
  if (length <= 0) Unsupported(what + " making an empty tensor");
  return AxisSlice{b, stride, length, false};
}
}  // namespace

SliceSpec ResolveStridedSlice(const std::vector<int64_t>& dims, const std::vector<int64_t>& begin,
                              const std::vector<int64_t>& end, const std::vector<int64_t>& strides,
                              const SliceMasks& masks, const std::string& what) {
  const size_t k = begin.size(), rank = dims.size();
  if (end.size() != k || strides.size() != k || k > 16) Invalid(what + " has begin, end and strides of other lengths");
  if (masks.ellipsis & (masks.ellipsis - 1)) Invalid(what + " has several ellipses");
  auto bit = [](int64_t mask, size_t i) { return ((mask >> i) & 1) != 0; };
  size_t sliced = 0;  // the sparse entries that take an input axis
  for (size_t i = 0; i < k; ++i) sliced += !bit(masks.ellipsis, i) && !bit(masks.new_axis, i);
  if (sliced > rank) Invalid(what + " slices more axes than its input has");
  SliceSpec spec;
  auto take = [&](const AxisSlice& a) {
    spec.axes.push_back(a);
    if (!a.shrink) spec.shape.push_back(a.length);
  };
  for (size_t i = 0; i < k; ++i) {
    if (bit(masks.ellipsis, i)) {
      for (size_t n = rank - sliced; n > 0; --n) take(All(dims[spec.axes.size()]));
    } else if (bit(masks.new_axis, i)) {
      spec.shape.push_back(1);
      if (spec.axes.empty()) ++spec.first_new_axes;
    } else {
      const int64_t size = dims[spec.axes.size()];
      take(Resolve(size, begin[i], end[i], strides[i], bit(masks.begin, i), bit(masks.end, i),
                   bit(masks.shrink_axis, i), what));
    }
  }
  while (spec.axes.size() < rank) take(All(dims[spec.axes.size()]));  // an implicit ellipsis at the end
  return spec;
}

}  // namespace tfjs_run::native
