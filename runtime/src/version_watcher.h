// VersionWatcher: the poller thread behind Runtime::Watch. It polls the source's manifest (with
// its ETag), downloads and verifies a new version (published_bundle.h), hands it to the runtime
// to reload, and backs off after failures; every failure is counted by its reason.
#pragma once

#include <chrono>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "tfjs_run/runtime.h"

namespace tfjs_run {

class VersionWatcher {
 public:
  using ReloadFn = std::function<ReloadResult(const PublishedBundle&)>;
  using VersionFn = std::function<std::string()>;

  VersionWatcher(WatchOptions options, ReloadFn reload, VersionFn current_version);
  ~VersionWatcher();
  void Stop();
  WatchStats Stats() const;
  const std::string& source() const { return options_.source; }

 private:
  void Run();
  // One poll. Returns true if it succeeded (changed or not), false on a failure to count.
  bool PollOnce();
  void Fail(const std::string& reason, const std::string& error);

  WatchOptions options_;
  ReloadFn reload_;
  VersionFn current_version_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> cancel_{false};  // set by Stop: aborts a download in flight
  WatchStats stats_;
  std::map<std::string, uint64_t> failures_by_reason_;
  std::string manifest_etag_;
  std::string refused_version_;  // the last version the runtime refused: not downloaded again
  int consecutive_failures_ = 0;
  std::mt19937 rng_{std::random_device{}()};
  std::thread thread_;
};

}  // namespace tfjs_run
