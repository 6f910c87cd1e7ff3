// VersionWatcher: the poller thread behind Runtime::Watch, and the fetch/verify steps it uses.
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

// One fetched resource (manifest or bundle).
struct FetchResult {
  bool ok = false;
  bool not_modified = false;  // HTTP 304
  long status = 0;            // HTTP status; 0 for files
  std::string body;
  std::string etag;
  std::string reason;         // short machine tag for stats: "http-404", "timeout", "too-large", ...
  std::string error;          // human text
};

// GET over http(s) with libcurl (timeouts, size limit, TLS verification, If-None-Match),
// or read from a local path / file:// URL (size limit, mtime as the ETag).
// `cancel`, when set and true, aborts a transfer in flight (within about a second) with reason
// "cancelled": how shutdown stops a stalled download without waiting for its timeout.
FetchResult Fetch(const std::string& url, const WatchOptions& options, size_t max_bytes, const std::string& etag,
                  const std::atomic<bool>* cancel = nullptr);

std::string Sha256Hex(std::string_view data);

// The manifest of a published layout: {"version", "bundle", "sha256", "size"[, "sample_input"
// [, "expected_output"[, "tolerance"]]]} (docs/publishing.md).
struct Manifest {
  static constexpr size_t kMaxSampleRows = 4096;
  static constexpr size_t kMaxSampleValues = 1 << 20;  // per field
  std::string version, bundle, sha256;
  size_t size = 0;
  std::vector<float> sample_input;
  size_t sample_rows = 0;
  std::vector<float> expected_output;  // sample_rows rows, if given
  double tolerance = ReloadCheck::kDefaultTolerance;
};
// Throws Error(kBundleRead) with a message naming what is wrong. The manifest is untrusted: row
// counts and sizes are bounded, every number must be a finite float32, and the rows of
// sample_input and expected_output must each be of one width, with one expected row per sample
// row.
Manifest ParseManifest(const std::string& text);

// Downloads the bundle a manifest names and verifies its size and sha256. On failure returns
// false with a short reason tag for stats and an error naming the version.
bool FetchBundle(const WatchOptions& options, Manifest manifest, PublishedBundle& out, std::string& reason,
                 std::string& error, const std::atomic<bool>* cancel = nullptr);

// "<base>/<name>" for URLs and paths alike.
std::string JoinUrl(const std::string& base, const std::string& name);

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
