// The process-wide V8 platform. Initialised once, on first use, and never torn down (isolates
// may outlive static destructors in embedding processes such as a JVM).
#pragma once

namespace v8 {
class Platform;
}

namespace tfjs_run::internal {

// Returns the platform, initialising V8 on the first call. Thread-safe.
v8::Platform* V8Platform();

}  // namespace tfjs_run::internal
