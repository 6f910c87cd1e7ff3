#include "native/int_input.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "native/tensor.h"

namespace tfjs_run::native {

IntInput IntInputOf(const std::string& dtype) {
  static const IntInput kRanges[] = {
      {"int32", -2147483648.0, 2147483647.0}, {"int16", -32768, 32767}, {"int8", -128, 127},
      {"uint16", 0, 65535},                   {"uint8", 0, 255},        {"bool", 0, 1},
  };
  for (const IntInput& r : kRanges) {
    if (r.dtype == dtype) return r;
  }
  Invalid("nativeArtifacts().intInput names the dtype '" + dtype.substr(0, 32) + "', not an integer one");
}

float RoundHalfEven(float v) { return std::nearbyint(v); }  // the default rounding mode: to nearest, ties to even

void CheckIntRows(const IntInput& input, const float* values, size_t rows, size_t cols) {
  const size_t n = rows * cols;
  for (size_t i = 0; i < n; ++i) {
    const double r = RoundHalfEven(values[i]);
    if (r >= input.lo && r <= input.hi) continue;  // NaN fails both
    throw RunError("row " + std::to_string(i / cols) + " of the call, column " + std::to_string(i % cols) + ": " +
                       JsNumberText(values[i]) + " does not fit the model's " + input.dtype + " input (" +
                       JsNumberText(input.lo) + " to " + JsNumberText(input.hi) + ", after rounding to an integer)",
                   false);
  }
}

std::string JsNumberText(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return "0";
  // The shortest digits that read back as v, and the exponent: d.ddde±x.
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), std::fabs(v), std::chars_format::scientific);
  const std::string_view text(buf, static_cast<size_t>(end - buf));
  const size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits += c;
  }
  const int k = static_cast<int>(digits.size());
  const int n = std::atoi(std::string(text.substr(e + 1)).c_str()) + 1;  // v = 0.digits * 10^n
  std::string out = v < 0 ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    out += digits.substr(0, 1) + (k > 1 ? "." + digits.substr(1) : "") + "e" + (n - 1 >= 0 ? "+" : "-") +
           std::to_string(std::abs(n - 1));
  }
  return out;
}

}  // namespace tfjs_run::native
