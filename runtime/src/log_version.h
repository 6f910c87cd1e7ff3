// The bundle version a log line is about, per thread: set by the runtime around the work it does
// for one version (staging a reload, a worker's batch, a watcher's apply of a manifest), read by
// a LogSink through tfjs_run::LogVersion() (the JVM's sink puts it in a logging field).
#pragma once

#include <string>

namespace tfjs_run::internal {

// Sets this thread's log version for its scope, and restores the one before.
class ScopedLogVersion {
 public:
  explicit ScopedLogVersion(std::string version);
  ~ScopedLogVersion();
  ScopedLogVersion(const ScopedLogVersion&) = delete;
  ScopedLogVersion& operator=(const ScopedLogVersion&) = delete;

 private:
  std::string previous_;
};

}  // namespace tfjs_run::internal
