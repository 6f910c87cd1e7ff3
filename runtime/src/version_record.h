// VersionRecord: what the runtime serves, what reloads did, and the grace window after a switch.
// Read by many threads; lock `mu`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "tfjs_run/runtime.h"

namespace tfjs_run::internal {

struct VersionRecord {
  mutable std::mutex mu;
  BundleInfo info;  // of the version served (worker 0's, with the version a reload named)
  // Failed to load or warm up, or rolled back in a grace window; refused until another.
  std::vector<std::string> bad_versions;
  uint64_t reloads_ok = 0, reloads_failed = 0, rollbacks = 0;
  std::string last_reload_error;
  std::string last_rollback;  // "version X rolled back to Y: <the request's error>"

  // The grace window of the last switch (grace_window.h).
  struct Window {
    bool open = false;
    bool rolled_back = false;
    std::string next, previous;  // the version switched to, and from
    BundleInfo previous_info;
    std::chrono::steady_clock::time_point opened;
    uint64_t batches = 0;        // batches run on `next`, by every worker
  } window;
  // window.rolled_back, readable without `mu` (a worker waiting for work checks it under its
  // queue's lock, and must not take `mu` there).
  std::atomic<bool> window_rolled_back{false};

  bool IsBad(const std::string& version) const {  // under mu
    for (const auto& v : bad_versions) {
      if (v == version) return true;
    }
    return false;
  }
  void MarkBad(const std::string& version) {  // under mu
    if (!version.empty() && !IsBad(version)) bad_versions.push_back(version);
  }
};

}  // namespace tfjs_run::internal
