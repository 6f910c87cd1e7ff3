// Shape arithmetic in a graph, folded at load: tfjs-converter graphs compute a Reshape's target
// from the input's shape (Shape, then StridedSlice, Pack, ConcatV2, ...). Every axis of a row is
// known when the plan is compiled but the batch, so these ops become constants, and the one
// unknown element, the batch size, is tracked to where it goes: into the batch axis of a Reshape,
// or nowhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "native/slice.h"

namespace tfjs_run::native {

// An integer tensor known at load (rank 0 or 1).
struct KnownInts {
  std::vector<int64_t> shape;   // {} for a scalar, {n} for a vector
  std::vector<int64_t> values;
  int64_t batch_at = -1;        // the element that is the batch size (its value is unknown), or -1
};

// StridedSlice's masks; the axis of Pack.
struct FoldAttrs {
  SliceMasks masks;
  int64_t axis = 0;
};

// Whether `op` is one Fold computes: Shape, StridedSlice, Slice, Pack, ConcatV2, Gather, GatherV2.
bool Folds(const std::string& op);

// Shape of a value whose row has shape `dims`: [batch, dims...].
KnownInts ShapeOf(const std::vector<int64_t>& dims);

// `op` over its inputs, all known (Shape excepted: use ShapeOf). Unsupported() naming `what` for
// what it does not fold (tensors of rank 2 or more, new axes, the batch size twice in one
// result), Invalid() for inputs TensorFlow would refuse.
KnownInts Fold(const std::string& op, const std::vector<KnownInts>& inputs, const FoldAttrs& attrs,
               const std::string& what);

}  // namespace tfjs_run::native
