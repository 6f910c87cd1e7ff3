#include "answer_check.h"

#include <cmath>
#include <cstdio>

namespace tfjs_run::internal {
namespace {

std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

}  // namespace

std::string CheckSampleWidth(const std::vector<float>& sample, int64_t cols) {
  if (sample.empty() || cols <= 0 || sample.size() % static_cast<size_t>(cols) == 0) return {};
  return "the warm-up sample has " + std::to_string(sample.size()) + " values, not whole rows of the bundle's " +
         std::to_string(cols) + " columns";
}

std::string CheckFits(const ReloadCheck& check, const BundleInfo& info) {
  const int64_t cols = info.input_cols;
  if (std::string why = CheckSampleWidth(check.sample, cols); !why.empty()) return why;
  if (check.expected.empty()) return {};
  if (check.sample.empty()) return "expected answers were given without the sample rows they answer";
  if (cols <= 0 || info.output_cols <= 0) {
    return "its answers cannot be checked: the bundle declares no input and output widths";
  }
  const size_t rows = check.sample.size() / static_cast<size_t>(cols);
  if (check.expected.size() != rows * static_cast<size_t>(info.output_cols)) {
    return "the expected output has " + std::to_string(check.expected.size()) + " values; the bundle answers " +
           std::to_string(rows) + " sample rows with " + std::to_string(info.output_cols) + " columns each (" +
           std::to_string(rows * static_cast<size_t>(info.output_cols)) + " values)";
  }
  if (!(check.tolerance >= 0) || !std::isfinite(check.tolerance)) {
    return "the tolerance " + Number(check.tolerance) + " is not a finite number >= 0";
  }
  return {};
}

std::string CheckAnswers(const DenseMatrix& got, const ReloadCheck& check) {
  for (float v : got.values()) {
    if (std::isnan(v)) return "the warm-up predict returned NaN";
  }
  if (check.expected.empty()) return {};
  if (got.size() != check.expected.size()) {
    return "its warm-up gave " + std::to_string(got.size()) + " values; " + std::to_string(check.expected.size()) +
           " were expected";
  }
  size_t off = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = got.values()[i], e = check.expected[i];
    if (!(std::fabs(g - e) <= check.tolerance * (1 + std::fabs(e)))) {  // NaN never agrees
      if (off++ == 0) first = i;
    }
  }
  if (off == 0) return {};
  const size_t cols = got.cols() ? got.cols() : 1;
  return "its warm-up answers disagree with the expected output on " + std::to_string(off) + " of " +
         std::to_string(got.size()) + " values (|got - expected| <= " + Number(check.tolerance) +
         " * (1 + |expected|)); the first: sample row " + std::to_string(first / cols) + ", column " +
         std::to_string(first % cols) + ": got " + Number(got.values()[first]) + ", expected " +
         Number(check.expected[first]);
}

}  // namespace tfjs_run::internal
