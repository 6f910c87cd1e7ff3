#include "reloader.h"

#include "answer_check.h"
#include "log_version.h"
#include "version_name.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace tfjs_run::internal {
namespace {

// Lowers this thread's scheduling priority (nice) for its lifetime and restores it after, if
// the process is allowed to (raising priority back needs CAP_SYS_NICE or RLIMIT_NICE room;
// when it is not allowed, the priority is not lowered at all).
class LowerPriorityWhileLoading {
 public:
  explicit LowerPriorityWhileLoading(int nice) {
    if (nice <= 0) return;
    tid_ = static_cast<pid_t>(::syscall(SYS_gettid));
    errno = 0;
    before_ = ::getpriority(PRIO_PROCESS, tid_);
    if (errno != 0) return;
    // Only if we could undo it: try the restore first (a no-op at the current value).
    if (::setpriority(PRIO_PROCESS, tid_, before_) != 0) return;
    struct rlimit limit {};
    const bool can_restore = ::geteuid() == 0 ||
                             (::getrlimit(RLIMIT_NICE, &limit) == 0 && 20 - static_cast<int>(limit.rlim_cur) <= before_);
    if (can_restore && ::setpriority(PRIO_PROCESS, tid_, std::min(19, before_ + nice)) == 0) lowered_ = true;
  }
  ~LowerPriorityWhileLoading() {
    if (lowered_) ::setpriority(PRIO_PROCESS, tid_, before_);
  }

 private:
  pid_t tid_ = 0;
  int before_ = 0;
  bool lowered_ = false;
};

std::string MarkedBad(const std::string& version) {
  return "version " + version + " is marked bad (it failed to load or warm up, or was rolled back, before)";
}

// Why a reload cannot even start ("" if it can): a bundle over the size limit, or a warm-up
// sample that is not whole rows of the serving version's width (a new version of another width
// is refused anyway).
std::string RefusedInput(const BundleSource& source, const std::vector<float>& sample, int64_t cols) {
  try {
    BundleSource::CheckSize(source.code.size(), source.origin);
  } catch (const Error& e) {
    return e.message();
  }
  return CheckSampleWidth(sample, cols);
}

constexpr const char* kStopped = "reloads are stopped: the runtime is stopping";

std::string Named(const std::string& version) { return version.empty() ? std::string("(from the bundle)") : version; }

}  // namespace

std::string Reloader::Prepare(Worker& w, StageSpec& spec) {
  // Loading competes for CPU with the workers still serving: yield to them while it runs.
  LowerPriorityWhileLoading lower(options_.reload_nice);
  ScopedLogVersion log_version(spec.version);
  try {
    return w.versions().Stage(spec);
  } catch (const Error& e) {
    return std::string(e.what());
  } catch (const std::exception& e) {
    return std::string("version ") + spec.version + ": " + e.what();
  }
}

bool Reloader::BeginPreparing(const std::shared_ptr<std::atomic<bool>>& cancel) {
  std::lock_guard lock(stop_mu_);
  if (stopped_) return false;
  preparing_ = cancel;
  return true;
}

bool Reloader::EndPreparing() {
  std::lock_guard lock(stop_mu_);
  preparing_.reset();
  return !stopped_;
}

bool Reloader::stopped() {
  std::lock_guard lock(stop_mu_);
  return stopped_;
}

void Reloader::AwaitIdle() { std::lock_guard reload_lock(reload_mu_); }

void Reloader::Stop() {
  std::lock_guard lock(stop_mu_);
  stopped_ = true;
  if (preparing_) *preparing_ = true;
}

bool Reloader::IsBad(const std::string& version) const {
  std::lock_guard lock(record_.mu);
  return !version.empty() && record_.IsBad(version);
}

ReloadResult Reloader::Failed(ReloadResult& result, std::string error, const std::string& bad_version) {
  result.ok = false;
  result.error = std::move(error);
  std::lock_guard lock(record_.mu);
  ++record_.reloads_failed;
  record_.last_reload_error = result.error;
  record_.MarkBad(bad_version);
  return result;
}

void Reloader::AbortStaged(size_t prepared) {
  for (size_t k = 0; k < prepared; ++k) workers_[k]->Run([](Worker& w) { w.versions().Abort(); return std::string(); });
}

Reloader::Staging Reloader::StageAll(const BundleSource& source, const ReloadCheck& check, Staging s,
                                     ReloadResult& result) {
  const auto kept = std::make_shared<const BundleSource>(source);  // one copy for the workers to recycle from
  const auto cancel = std::make_shared<std::atomic<bool>>(false);  // set by Stop while the workers stage
  if (!BeginPreparing(cancel)) return s.Ends(Staging::kAbandoned);
  // One worker at a time, so the others keep serving at full speed.
  for (size_t i = 0; i < workers_.size(); ++i) {
    StageSpec spec{.source = kept, .version = s.version, .code_cache = s.code_cache, .check = &check, .cancel = cancel};
    const std::string error = workers_[i]->Run([&](Worker& w) { return Prepare(w, spec); });
    result.worker_load_ms.push_back(spec.load_ms);
    result.worker_warmup_ms.push_back(spec.warmup_ms);
    if (*cancel) {
      EndPreparing();
      s.prepared = error.empty() ? i + 1 : i;
      return s.Ends(Staging::kAbandoned);
    }
    if (!error.empty()) {
      EndPreparing();
      s.error = "reload to version " + Named(s.version) + " failed on worker " + std::to_string(i) +
                ", nothing switched: " + error;
      return s.Ends(Staging::kFailed);
    }
    s.prepared = i + 1;
    s.code_cache = spec.code_cache;  // the first worker's, if it made one, for the others
    if (i > 0) continue;
    s.info = spec.info;
    if (s.version.empty()) {
      s.version = spec.staged_version;  // the bundle's own: is it known bad?
      if (IsBad(s.version)) {
        EndPreparing();
        return s.Ends(Staging::kMarkedBad);
      }
    }
  }
  // From here the staged models may serve: their cancel token must never be set.
  return EndPreparing() ? s.Ends(Staging::kStaged) : s.Ends(Staging::kAbandoned);
}

void Reloader::CommitAll(const Staging& s, ReloadResult& result) {
  {
    BundleInfo serving;
    {
      std::lock_guard lock(record_.mu);
      serving = record_.info;
    }
    grace_.Open(s.version, serving.version, serving);
  }
  for (Worker* w : workers_) {
    w->Run([](Worker& w) { w.CommitStaged(); return std::string(); });
    result.worker_switch_ms.push_back(w->Stats().last_switch_ms);
  }
  std::lock_guard lock(record_.mu);
  ++record_.reloads_ok;
  if (!record_.window.rolled_back) record_.info = s.info;  // a worker may already have rolled it back
}

ReloadResult Reloader::Reload(const BundleSource& source, std::string version, const ReloadCheck& check) {
  std::lock_guard reload_lock(reload_mu_);
  const auto start = Clock::now();
  ReloadResult result;
  result.version = version;
  // Refused before any worker loads anything: a failed reload, but no version is marked bad.
  if (!version.empty() && !IsValidVersionName(version)) {
    result.version.clear();
    return Failed(result, "version " + QuoteVersionName(version) + " refused: a version name is " + kVersionNameRule);
  }
  int64_t cols;
  {
    std::lock_guard lock(record_.mu);
    cols = record_.info.input_cols;
  }
  if (std::string why = RefusedInput(source, check.sample, cols); !why.empty()) {
    return Failed(result, "reload to version " + Named(version) + " refused: " + why);
  }
  if (IsBad(version)) {
    result.error = MarkedBad(version);
    return result;
  }
  const CodeCacheStore::Bytes disk_cache = options_.use_code_cache ? cache_.Load(source.code) : nullptr;
  Staging s = StageAll(source, check, Staging{.version = version, .code_cache = disk_cache}, result);
  if (s.outcome != Staging::kStaged) AbortStaged(s.prepared);
  switch (s.outcome) {
    case Staging::kAbandoned:  // not the version's fault: nothing is marked bad
      return Failed(result, "reload to version " + Named(s.version) + " abandoned, nothing switched: " + kStopped);
    case Staging::kFailed:
      return Failed(result, s.error, s.version);
    case Staging::kMarkedBad:
      result.version = s.version;
      result.error = MarkedBad(s.version);
      return result;
    case Staging::kStaged:
      break;
  }
  result.version = s.version;
  // A cache made by this reload (none on disk, or V8 rejected it) is kept for the next start.
  if (options_.use_code_cache && s.code_cache && s.code_cache != disk_cache) cache_.Save(source.code, *s.code_cache);
  CommitAll(s, result);
  result.ok = true;
  result.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return result;
}

}  // namespace tfjs_run::internal
