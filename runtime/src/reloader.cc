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

bool WarmUpInput(const Model& model, const std::vector<float>& sample, std::vector<float>& out, size_t& rows) {
  const int64_t cols = model.info().input_cols;
  if (cols <= 0) return false;
  const std::vector<float>& declared = model.info().sample_input;
  if (!sample.empty()) {
    out = sample;
    rows = sample.size() / static_cast<size_t>(cols);
  } else if (!declared.empty()) {
    out = declared;
    rows = declared.size() / static_cast<size_t>(cols);
  } else {
    out.assign(static_cast<size_t>(cols), 0.0f);
    rows = 1;
  }
  return model.info().max_rows < 0 || static_cast<size_t>(model.info().max_rows) == rows;
}

std::string Reloader::WarmUp(Model& staged, const Job& j, const std::string& version) {
  if (std::string why = CheckFits(j.check, staged.info()); !why.empty()) return "version " + version + ": " + why;
  std::vector<float> input;
  size_t rows = 0;
  if (!WarmUpInput(staged, j.check.sample, input, rows)) {
    return j.check.expected.empty() ? std::string()
                                    : "version " + version + ": its answers cannot be checked: the bundle fixes the "
                                                             "rows of a call, and the sample has " +
                                          std::to_string(rows) + " rows";
  }
  DenseMatrix out = staged.Predict({input.data(), rows, input.size() / rows});
  if (std::string why = CheckAnswers(out, j.check); !why.empty()) return "version " + version + ": " + why;
  return {};
}

std::string Reloader::Prepare(Worker& w, Job& j) {
  // Loading competes for CPU with the workers still serving: yield to them while it runs.
  LowerPriorityWhileLoading lower(options_.reload_nice);
  ScopedLogVersion log_version(j.version);
  try {
    ModelOptions model_options = options_.model;
    model_options.code_cache = j.code_cache;
    model_options.cancel = j.cancel;
    auto staged = Model::Load(j.source, model_options);
    const std::string version = j.version.empty() ? staged->info().version : j.version;
    if (w.model && w.model->info().input_cols != staged->info().input_cols) {
      return "version " + version + " takes " + std::to_string(staged->info().input_cols) +
             " columns, the running version " + std::to_string(w.model->info().input_cols) +
             ": a change of input width needs a new runtime";
    }
    // Callers (the CLI's header and JSON-key matching) put columns in the running version's
    // named order: a version that names them otherwise would get shuffled features.
    const auto& names = staged->info().feature_names;
    if (w.model && !w.model->info().feature_names.empty() && names != w.model->info().feature_names) {
      return "version " + version + (names.empty() ? " declares no feature names" : " names its features otherwise") +
             " than the running version: a change of features needs a new runtime";
    }
    w.staged_load_ms = staged->load_ms();
    const auto warm_start = Clock::now();
    if (std::string why = WarmUp(*staged, j, version); !why.empty()) return why;
    w.staged_warmup_ms = std::chrono::duration<double, std::milli>(Clock::now() - warm_start).count();
    if (!j.code_cache || !staged->code_cache_accepted()) {
      j.code_cache = std::make_shared<std::vector<uint8_t>>(staged->CreateCodeCache());
    }
    if (w.index == 0) j.info = staged->info();
    w.staged = std::move(staged);
    w.staged_version = version;
    w.staged_source = j.kept;
    w.staged_code_cache = j.code_cache;
    return {};
  } catch (const Error& e) {
    return std::string(e.what());
  } catch (const std::exception& e) {
    return std::string("version ") + j.version + ": " + e.what();
  }
}

std::string Reloader::Handle(Worker& w, Worker::Control control) {
  switch (control) {
    case Worker::Control::kPrepare:
      return Prepare(w, *job_);
    case Worker::Control::kCommit: {
      auto old = std::move(w.model);
      Worker::Previous replaced{std::move(old), w.version, std::move(w.source), std::move(w.code_cache)};
      w.model = std::move(w.staged);  // the swap: the next batch runs on the new version
      w.version = w.staged_version;
      w.source = std::move(w.staged_source);
      w.code_cache = std::move(w.staged_code_cache);
      const double ms = w.MillisecondsSincePost();
      w.UpdateStats([&](WorkerStats& s) {
        s.version = w.version;
        s.last_switch_ms = ms;
        ++s.switches;
        s.load_ms = w.model->load_ms();
        s.code_cache_accepted = w.model->code_cache_accepted();
      });
      // The replaced version stays loaded for the grace window, unless there is none or it is
      // itself a version that was rolled back; otherwise it is disposed here, on its own thread.
      w.previous = {};
      if (grace_.enabled() && replaced.model && !replaced.model->broken()) w.previous = std::move(replaced);
      return {};
    }
    case Worker::Control::kAbort:
      w.staged.reset();
      w.staged_source.reset();
      w.staged_code_cache.reset();
      return {};
    case Worker::Control::kNone:
      break;
  }
  return {};
}

bool Reloader::BeginPreparing(const Job& j) {
  std::lock_guard lock(stop_mu_);
  if (stopped_) return false;
  preparing_ = j.cancel;
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
  auto abandoned = [&](size_t prepared) {
    for (size_t k = 0; k < prepared; ++k) workers_[k]->Post(Worker::Control::kAbort);
    job_ = nullptr;
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
  Job j{new_source, version, check, options_.use_code_cache ? cache_.Load(new_source.code) : nullptr,
        std::make_shared<const BundleSource>(new_source), {}};
  if (!BeginPreparing(j)) return abandoned(0);
  const auto disk_cache = j.code_cache;
  job_ = &j;
  // Prepare on one worker at a time, so the others keep serving at full speed.
  for (size_t i = 0; i < workers_.size(); ++i) {
    std::string error = workers_[i]->Post(Worker::Control::kPrepare);
    result.worker_load_ms.push_back(workers_[i]->staged_load_ms);  // written before the post returned
    result.worker_warmup_ms.push_back(workers_[i]->staged_warmup_ms);
    if (*j.cancel) {
      EndPreparing();
      return abandoned(error.empty() ? i + 1 : i);
    }
    if (!error.empty()) {
      EndPreparing();
      for (size_t k = 0; k < i; ++k) workers_[k]->Post(Worker::Control::kAbort);
      job_ = nullptr;
      return fail("reload to version " + (version.empty() ? std::string("(from the bundle)") : version) +
                  " failed on worker " + std::to_string(i) + ", nothing switched: " + error);
    }
    if (i == 0 && version.empty()) {
      version = j.version = workers_[0]->staged_version;  // the bundle's own: is it known bad?
      bool bad;
      {
        std::lock_guard lock(record_.mu);
        bad = record_.IsBad(version);
      }
      if (bad) {
        EndPreparing();
        workers_[0]->Post(Worker::Control::kAbort);
        job_ = nullptr;
        result.version = version;
        result.error = MarkedBad(version);
        return result;
      }
    }
  }
  // From here the staged models may serve: their cancel token must never be set.
  if (!EndPreparing()) return abandoned(workers_.size());
  job_ = nullptr;
  result.version = version;
  // A cache made by this reload (none on disk, or V8 rejected it) is kept for the next start.
  if (options_.use_code_cache && j.code_cache && j.code_cache != disk_cache) cache_.Save(new_source.code, *j.code_cache);
  {
    BundleInfo serving;
    {
      std::lock_guard lock(record_.mu);
      serving = record_.info;
    }
    grace_.Open(version, serving.version, serving);
  }
  for (Worker* w : workers_) {
    w->Post(Worker::Control::kCommit);
    result.worker_switch_ms.push_back(w->Stats().last_switch_ms);
  }
  {
    std::lock_guard lock(record_.mu);
    ++record_.reloads_ok;
    if (!record_.window.rolled_back) {  // a worker may already have rolled it back
      BundleInfo next = j.info;  // worker 0's staged model's, recorded on its thread
      next.version = version;
      record_.info = next;
    }
  }
  result.ok = true;
  result.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return result;
}

}  // namespace tfjs_run::internal
