// libFuzzer target: the published-version manifest parser (docs/publishing.md) on arbitrary
// text, as a file server that is down, hostile or returning garbage would serve it. Every input
// is a Manifest with a valid version name and a bundle name without a path, or Error(kBundleRead).
#include <cstdint>
#include <string>

#include "tfjs_run/error.h"
#include "version_name.h"
#include "version_watcher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    tfjs_run::Manifest m = tfjs_run::ParseManifest(text);
    if (!tfjs_run::internal::IsValidVersionName(m.version)) __builtin_trap();
    if (m.bundle.empty() || m.bundle.find('/') != std::string::npos) __builtin_trap();
    if (m.sha256.size() != 64 || m.size == 0) __builtin_trap();
  } catch (const tfjs_run::Error& e) {
    if (e.kind() != tfjs_run::ErrorKind::kBundleRead) __builtin_trap();
  }
  return 0;
}
