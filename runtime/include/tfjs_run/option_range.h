// The values a numeric option accepts. Each range sits beside its option's default in the
// option's struct (RuntimeOptions, ModelOptions, WatchOptions): that struct is the one place
// for both. A front end (the CLI's parser, the JNI bridge) checks what its user gave against
// the range before it sets the option, and names the option as its user spells it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tfjs_run {

// An option given a value outside its range. what() names the option, the range and the value.
class OptionError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct OptionRange {
  int64_t min;
  int64_t max;
  // 0 is accepted too, below min: it turns the option off or picks the library's own default
  // (ModelOptions::max_heap_mb).
  bool or_zero = false;

  bool Contains(int64_t value) const { return (value >= min && value <= max) || (or_zero && value == 0); }

  // Throws OptionError "<name> must be in [min, max], got <value>" unless Contains(value).
  void Check(std::string_view name, int64_t value) const {
    if (Contains(value)) return;
    throw OptionError(std::string(name) + " must be " + (or_zero ? "0 or " : "") + "in [" + std::to_string(min) +
                      ", " + std::to_string(max) + "], got " + std::to_string(value));
  }
};

}  // namespace tfjs_run
