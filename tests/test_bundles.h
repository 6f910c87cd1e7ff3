// Helpers the runtime tests share: the versioned test bundle
// (tests/fixtures/versioned.js.in) whose answers say which version computed them.
#pragma once

#include <regex>
#include <string>

#include "test_files.h"
#include "tfjs_run/model.h"

namespace tfjs_run::test_support {

inline const std::string kSource = TFJS_RUN_SOURCE_DIR;
inline const std::string kFixtures = TFJS_RUN_FIXTURES_OUT;

// The versioned test bundle: answers [row sum * 1000 + number, number]; `mode` as the file says.
inline std::string Versioned(int number, const std::string& mode = "ok", size_t ballast = 1024, size_t padding = 0) {
  std::string text = ReadFile(kSource + "/tests/fixtures/versioned.js.in");
  auto put = [&](const std::string& key, const std::string& value) {
    text = std::regex_replace(text, std::regex(key), value);
  };
  put("__VERSION__", std::to_string(number));
  put("__NUMBER__", std::to_string(number));
  put("__MODE__", mode);
  put("__BALLAST__", std::to_string(ballast));
  if (padding) text += "\n// " + std::string(padding, 'p') + "\n";
  return text;
}

inline BundleSource Source(const std::string& text, const std::string& origin = "versioned.js") {
  return {text, origin};
}

}  // namespace tfjs_run::test_support
