#include "version_watcher.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "log_version.h"
#include "published_bundle.h"

namespace tfjs_run {

namespace {

void DefaultLog(const WatchOptions& o, LogLevel level, const std::string& text) {
  if (o.log) {
    o.log(level, text);
  } else {
    std::fprintf(stderr, "tfjs-run: watch %s: %s\n", o.source.c_str(), text.c_str());
  }
}

}  // namespace

VersionWatcher::VersionWatcher(WatchOptions options, ReloadFn reload, VersionFn current_version)
    : options_(std::move(options)), reload_(std::move(reload)), current_version_(std::move(current_version)) {
  stats_.active = true;
  stats_.source = options_.source;
  thread_ = std::thread([this] { Run(); });
}

VersionWatcher::~VersionWatcher() { Stop(); }

void VersionWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

WatchStats VersionWatcher::Stats() const {
  std::lock_guard lock(mu_);
  WatchStats s = stats_;
  s.failures_by_reason.assign(failures_by_reason_.begin(), failures_by_reason_.end());
  return s;
}

void VersionWatcher::Fail(const std::string& reason, const std::string& error) {
  {
    std::lock_guard lock(mu_);
    ++stats_.failures;
    ++failures_by_reason_[reason];
    stats_.last_error = error;
  }
  DefaultLog(options_, LogLevel::kWarn, error + " (keeping version " + current_version_() + ")");
}

bool VersionWatcher::PollOnce() {
  {
    std::lock_guard lock(mu_);
    ++stats_.polls;
  }
  FetchResult mf;
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<PublishError> manifest_failed;
  try {
    mf = FetchManifest(options_, manifest_etag_, &cancel_);
  } catch (const PublishError& e) {
    manifest_failed = e;
  }
  const auto t1 = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    stats_.last_manifest_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  }
  if (manifest_failed) {
    Fail(manifest_failed->reason(), manifest_failed->message());
    return false;
  }
  if (mf.not_modified) {
    std::lock_guard lock(mu_);
    ++stats_.unchanged;
    return true;
  }
  PublishedBundle published;
  try {
    Manifest m = ParseManifestAt(JoinUrl(options_.source, "manifest.json"), mf.body);
    // The version we serve, or one the runtime refused (marked bad): nothing to download, even
    // from a server that sends no ETag.
    if (m.version == current_version_() || m.version == refused_version_) {
      std::lock_guard lock(mu_);
      ++stats_.unchanged;
      manifest_etag_ = mf.etag;
      return true;
    }
    internal::ScopedLogVersion log_version(m.version);
    published = FetchBundle(options_, std::move(m), &cancel_);
  } catch (const PublishError& e) {
    Fail(e.reason(), e.message());
    return false;
  }
  internal::ScopedLogVersion log_version(published.version);
  {
    std::lock_guard lock(mu_);
    ++stats_.downloads;
    stats_.last_download_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  }
  ReloadResult r = reload_(published);
  {
    std::lock_guard lock(mu_);
    stats_.last_reload = r;
  }
  // Loaded or marked bad: either way this manifest needs no second look until it changes.
  manifest_etag_ = mf.etag;
  if (!r.ok) {
    refused_version_ = published.version;
    Fail("load-failed", r.error);
    return true;  // not a transport failure: no backoff, the version is marked bad
  }
  DefaultLog(options_, LogLevel::kInfo, "switched to version " + r.version + " in " + std::to_string(r.total_ms) + " ms");
  return true;
}

void VersionWatcher::Run() {
  for (;;) {
    const bool ok = PollOnce();
    std::unique_lock lock(mu_);
    consecutive_failures_ = ok ? 0 : std::min(consecutive_failures_ + 1, 16);
    auto wait = options_.poll_interval;
    if (consecutive_failures_ > 0) {
      // From at least 100 ms, so the backoff grows even when the poll interval is tiny.
      auto base = std::max<std::chrono::milliseconds>(options_.poll_interval, std::chrono::milliseconds(100));
      auto backoff = base * (1LL << std::min(consecutive_failures_, 10));
      wait = std::min<std::chrono::milliseconds>(std::chrono::duration_cast<std::chrono::milliseconds>(backoff),
                                                 std::max(options_.max_backoff, options_.poll_interval));
    }
    const double jitter = std::uniform_real_distribution<double>(0.8, 1.2)(rng_);
    wait = std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(wait.count()) * jitter));
    if (cv_.wait_for(lock, wait, [&] { return stop_; })) return;
  }
}

}  // namespace tfjs_run
