// libFuzzer target: the bundle contract's fields, as an untrusted bundle declares them. The input
// is split at NUL bytes into name, version, inputShape, outputShape, sampleInput and backend
// (each a JS expression or string) and loaded as a v1 bundle; loading must end in a Model whose
// info is consistent, or an Error, within the load deadline: never a crash.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tfjs_run/model.h"

namespace {
std::string JsString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts(6);
  size_t field = 0;
  for (size_t i = 0; i < size && i < 4096; ++i) {
    if (data[i] == 0) {
      if (++field == parts.size()) break;
    } else {
      parts[field] += static_cast<char>(data[i]);
    }
  }
  // name, version and backend are strings; the shapes and the sample are JS expressions
  // (arrays, numbers, anything), wrapped so a syntax error stays a compile error.
  auto expr = [](const std::string& s) { return "(() => { try { return (" + s + "\n); } catch (e) { return e; } })()"; };
  const std::string code = "globalThis.tfjsRunBundle = {\n name: " + JsString(parts[0]) + ",\n version: " +
                           JsString(parts[1]) + ",\n inputShape: " + expr(parts[2]) + ",\n outputShape: " +
                           expr(parts[3]) + ",\n sampleInput: " + expr(parts[4]) + ",\n backend: " +
                           JsString(parts[5]) + ",\n load() {},\n predict(x, rows) { return new Float32Array(rows); },\n};\n";
  tfjs_run::ModelOptions options;
  options.load_timeout = std::chrono::milliseconds(500);
  options.log = [](tfjs_run::LogLevel, std::string_view) {};
  try {
    auto model = tfjs_run::Model::Load(tfjs_run::BundleSource{code, "fuzz.bundle.js"}, options);
    const tfjs_run::BundleInfo& info = model->info();
    if (info.input_cols <= 0 || info.output_cols <= 0) __builtin_trap();
    if (!info.sample_input.empty() && info.sample_input.size() % static_cast<size_t>(info.input_cols) != 0) {
      __builtin_trap();
    }
  } catch (const tfjs_run::Error&) {
  }
  return 0;
}
