// The steps that join several values: elementwise sums, products, averages, maxima and minima of
// same-shaped values (tfjs-layers' merge layers), and concatenation on the last axis.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "native/tensor.h"

namespace tfjs_run::native {

class Step;

enum class Merge { kAdd, kMultiply, kSubtract, kDivide, kAverage, kMaximum, kMinimum };

// `op` over `inputs` values of `cols` each, left to right (kSubtract and kDivide take two; kAverage: their
// sum times 1/inputs, as tfjs computes it).
std::unique_ptr<Step> MakeMerge(const std::string& name, Merge op, size_t inputs, int64_t cols);

// Rows of `positions` runs, each the runs of widths[0], widths[1], ... of the inputs side by side.
std::unique_ptr<Step> MakeConcat(const std::string& name, const std::vector<int64_t>& widths, int64_t positions);

}  // namespace tfjs_run::native
