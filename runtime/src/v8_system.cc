#include "v8_system.h"

#include "tfjs_run/model.h"

#include <libplatform/libplatform.h>
#include <v8.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

namespace tfjs_run::internal {

v8::Platform* V8Platform() {
  static std::once_flag once;
  static v8::Platform* platform = nullptr;
  std::call_once(once, [] {
    // Extra flags for experiments, e.g. TFJS_RUN_V8_FLAGS="--max-lazy". Set before Initialize.
    if (const char* flags = std::getenv("TFJS_RUN_V8_FLAGS"); flags && *flags) {
      v8::V8::SetFlagsFromString(flags);
    }
    platform = v8::platform::NewDefaultPlatform().release();
    v8::V8::InitializePlatform(platform);
    v8::V8::Initialize();
  });
  return platform;
}

}  // namespace tfjs_run::internal

namespace tfjs_run {
std::string V8Version() { return v8::V8::GetVersion(); }
std::string RuntimeVersion() { return TFJS_RUN_VERSION; }
}  // namespace tfjs_run
