// Bounds for JSON that comes from untrusted places (input lines, a bundle's model topology):
// its nesting is measured before any recursive parser or printer sees it.
#pragma once

#include <algorithm>
#include <string_view>

namespace tfjs_run::internal {

// The deepest nesting of arrays and objects in `text` (outside strings), without parsing it.
inline int JsonDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace tfjs_run::internal
