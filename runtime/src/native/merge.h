// The steps that join several values: elementwise sums, products, averages, maxima and minima of
// same-shaped values (tfjs-layers' merge layers), the same of two values broadcast against each
// other (a squeeze-excite gate, a constant), and concatenation on the last axis.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "native/tensor.h"

namespace tfjs_run::native {

class Step;

enum class Merge { kAdd, kMultiply, kSubtract, kDivide, kAverage, kMaximum, kMinimum, kSquaredDifference };

// `op` over `inputs` values of `cols` each, left to right (kSubtract, kDivide and kSquaredDifference
// take two; kAverage: their sum times 1/inputs, as tfjs computes it).
std::unique_ptr<Step> MakeMerge(const std::string& name, Merge op, size_t inputs, int64_t cols);

// One side of a broadcast binary op: a computed value (a row of shape `dims`), or a constant
// (`constant`'s values in shape `dims`, the same for every row). Rows have no batch axis here:
// the loaders decline a constant that would broadcast over the batch.
struct BinaryOperand {
  std::vector<int64_t> dims;
  std::vector<float> constant;  // empty for a computed value
};

// The shape `a` op `b` gives, numpy's broadcasting of two shapes of the same rank (each axis equal
// or 1 on one side); Invalid() naming `what` otherwise.
std::vector<int64_t> BroadcastDims(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                                   const std::string& what);

// `a` op `b` (any but kAverage) broadcast as numpy and tfjs
// do, as XNNPACK computes it. Its inputs are the computed sides, a's first; at most one side is a
// constant. Operands of equal shapes are MakeMerge's.
std::unique_ptr<Step> MakeBroadcast(const std::string& name, Merge op, BinaryOperand a, BinaryOperand b);

// Rows of `positions` runs, each the runs of widths[0], widths[1], ... of the pieces side by side:
// concatenation along any axis (positions: the elements before it; a width: the elements from it
// on). A piece is computed (the step's inputs, in order) or, where `constants` has values for it,
// a constant of positions x width values, the same in every row.
std::unique_ptr<Step> MakeConcat(const std::string& name, const std::vector<int64_t>& widths, int64_t positions,
                                 std::vector<std::vector<float>> constants = {});

}  // namespace tfjs_run::native
