// libFuzzer target: the published-version manifest parser (docs/publishing.md) on arbitrary
// text, as a file server that is down, hostile or returning garbage would serve it. Every input
// is a Manifest with a valid version name, a bundle that is a file name (FILE, or VERSION/FILE in
// its own version's directory, with nothing a server could decode into a '/' or a dot segment)
// and never climbs out of the manifest's directory, bounded samples of
// finite float32 values with one expected row per sample row, and a tolerance in [0, 1]; or
// Error(kBundleRead).
#include <cmath>
#include <cstdint>
#include <string>

#include "tfjs_run/error.h"
#include "version_name.h"
#include "published_bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    tfjs_run::Manifest m = tfjs_run::ParseManifest(text);
    if (!tfjs_run::internal::IsValidVersionName(m.version)) __builtin_trap();
    const std::string in_version_dir = m.version + "/";
    const std::string file =
        m.bundle.rfind(in_version_dir, 0) == 0 ? m.bundle.substr(in_version_dir.size()) : m.bundle;
    if (!tfjs_run::internal::IsValidVersionName(file)) __builtin_trap();
    if (m.sha256.size() != 64 || m.size == 0) __builtin_trap();
    if (m.sample_rows > tfjs_run::Manifest::kMaxSampleRows) __builtin_trap();
    if (m.sample_input.size() > tfjs_run::Manifest::kMaxSampleValues) __builtin_trap();
    if (m.expected_output.size() > tfjs_run::Manifest::kMaxSampleValues) __builtin_trap();
    if (m.sample_rows ? m.sample_input.size() % m.sample_rows != 0 : !m.sample_input.empty()) __builtin_trap();
    if (!m.expected_output.empty() && (!m.sample_rows || m.expected_output.size() % m.sample_rows != 0)) __builtin_trap();
    for (float v : m.sample_input) if (!std::isfinite(v)) __builtin_trap();
    for (float v : m.expected_output) if (!std::isfinite(v)) __builtin_trap();
    if (!(m.tolerance >= 0 && m.tolerance <= 1)) __builtin_trap();
  } catch (const tfjs_run::Error& e) {
    if (e.kind() != tfjs_run::ErrorKind::kBundleRead) __builtin_trap();
  }
  return 0;
}
