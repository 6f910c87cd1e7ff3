// What a version must answer before it serves (ReloadCheck, tfjs_run/runtime.h): whether a
// check fits a bundle's widths, and whether the answers to its sample pass it. Used by a
// reload's warm-up (reloader.h) and by Runtime::Verify.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tfjs_run/runtime.h"

namespace tfjs_run::internal {

// Why `sample` is not whole rows of `cols` columns ("" if it is, or if either is unknown/empty).
// A reload asks this of the serving width before it loads anything, since a new version must
// take the same width; CheckFits asks it of the new version's.
std::string CheckSampleWidth(const std::vector<float>& sample, int64_t cols);

// Why `check` cannot be run on a bundle that declares `info` ("" if it can): a sample that is
// not rows of the input width, expected answers that are not one row of the output width per
// sample row, expected answers without a sample or for a bundle whose widths are unknown, or a
// tolerance that is not a finite number >= 0.
std::string CheckFits(const ReloadCheck& check, const BundleInfo& info);

// The answers `got` to check.sample: "" if they hold no NaN and, when check.expected is given,
// every value is within the tolerance of it; else how many are not and the first of them (row,
// column, got, expected).
std::string CheckAnswers(const DenseMatrix& got, const ReloadCheck& check);

}  // namespace tfjs_run::internal
