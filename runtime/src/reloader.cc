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

ReloadResult Reloader::Reload(const BundleSource& new_source, std::string version, const ReloadCheck& check) {
  std::lock_guard reload_lock(reload_mu_);
  const auto start = Clock::now();
  ReloadResult result;
  result.version = version;
  auto fail = [&](std::string why) {
    result.ok = false;
    result.error = std::move(why);
    std::lock_guard lock(record_.mu);
    ++record_.reloads_failed;
    record_.last_reload_error = result.error;
    auto& bad = record_.bad_versions;
    if (!version.empty() && std::find(bad.begin(), bad.end(), version) == bad.end()) bad.push_back(version);
    return result;
  };
  // Not the version's fault: nothing is marked bad.
  auto abort_staged = [&](size_t prepared) {
    for (size_t k = 0; k < prepared; ++k) workers_[k]->Run([](Worker& w) { w.versions().Abort(); return std::string(); });
  };
  auto abandoned = [&](size_t prepared) {
    abort_staged(prepared);
    result.ok = false;
    result.error = "reload to version " + (version.empty() ? std::string("(from the bundle)") : version) +
                   " abandoned, nothing switched: " + kStopped;
    std::lock_guard lock(record_.mu);
    ++record_.reloads_failed;
    record_.last_reload_error = result.error;
    return result;
  };
  // Refused before any worker loads anything: a failed reload, but the version is not marked bad.
  auto refuse = [&](std::string why) {
    result.error = std::move(why);
    std::lock_guard lock(record_.mu);
    ++record_.reloads_failed;
    record_.last_reload_error = result.error;
    return result;
  };
  if (!version.empty() && !IsValidVersionName(version)) {
    result.version.clear();
    return refuse("version " + QuoteVersionName(version) + " refused: a version name is 1-128 characters of [A-Za-z0-9._-]");
  }
  int64_t cols;
  {
    std::lock_guard lock(record_.mu);
    cols = record_.info.input_cols;
  }
  if (std::string why = RefusedInput(new_source, check.sample, cols); !why.empty()) {
    return refuse("reload to version " + (version.empty() ? std::string("(from the bundle)") : version) +
                  " refused: " + why);
  }
  {
    std::lock_guard lock(record_.mu);
    const auto& bad = record_.bad_versions;
    if (!version.empty() && std::find(bad.begin(), bad.end(), version) != bad.end()) {
      result.error = MarkedBad(version);
      return result;
    }
  }
  const CodeCacheStore::Bytes disk_cache = options_.use_code_cache ? cache_.Load(new_source.code) : nullptr;
  const auto kept = std::make_shared<const BundleSource>(new_source);  // one copy for the workers to recycle from
  const auto cancel = std::make_shared<std::atomic<bool>>(false);  // set by Stop while the workers stage
  CodeCacheStore::Bytes code_cache = disk_cache;  // then the one the first worker made, for the others
  BundleInfo staged_info;  // worker 0's staged model's
  if (!BeginPreparing(cancel)) return abandoned(0);
  // Stage on one worker at a time, so the others keep serving at full speed.
  for (size_t i = 0; i < workers_.size(); ++i) {
    StageSpec spec{.source = kept, .version = version, .code_cache = code_cache, .check = &check, .cancel = cancel};
    std::string error = workers_[i]->Run([&](Worker& w) { return Prepare(w, spec); });
    result.worker_load_ms.push_back(spec.load_ms);
    result.worker_warmup_ms.push_back(spec.warmup_ms);
    if (*cancel) {
      EndPreparing();
      return abandoned(error.empty() ? i + 1 : i);
    }
    if (!error.empty()) {
      EndPreparing();
      abort_staged(i);
      return fail("reload to version " + (version.empty() ? std::string("(from the bundle)") : version) +
                  " failed on worker " + std::to_string(i) + ", nothing switched: " + error);
    }
    code_cache = spec.code_cache;
    if (i == 0) staged_info = spec.info;
    if (i == 0 && version.empty()) {
      version = spec.staged_version;  // the bundle's own: is it known bad?
      bool bad;
      {
        std::lock_guard lock(record_.mu);
        bad = record_.IsBad(version);
      }
      if (bad) {
        EndPreparing();
        abort_staged(1);
        result.version = version;
        result.error = MarkedBad(version);
        return result;
      }
    }
  }
  // From here the staged models may serve: their cancel token must never be set.
  if (!EndPreparing()) return abandoned(workers_.size());
  result.version = version;
  // A cache made by this reload (none on disk, or V8 rejected it) is kept for the next start.
  if (options_.use_code_cache && code_cache && code_cache != disk_cache) cache_.Save(new_source.code, *code_cache);
  {
    BundleInfo serving;
    {
      std::lock_guard lock(record_.mu);
      serving = record_.info;
    }
    grace_.Open(version, serving.version, serving);
  }
  for (Worker* w : workers_) {
    w->Run([](Worker& w) { w.CommitStaged(); return std::string(); });
    result.worker_switch_ms.push_back(w->Stats().last_switch_ms);
  }
  {
    std::lock_guard lock(record_.mu);
    ++record_.reloads_ok;
    if (!record_.window.rolled_back) {  // a worker may already have rolled it back
      BundleInfo next = staged_info;
      next.version = version;
      record_.info = next;
    }
  }
  result.ok = true;
  result.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return result;
}

}  // namespace tfjs_run::internal
