// Reloader: the hot-reload protocol, and the record of which versions the runtime serves.
//
// Reload stages the new version on each worker's own thread, one worker at a time between
// batches (the others keep serving): WorkerVersions::Stage loads it (at lower priority here) and
// warms it up with one predict. Only if every worker succeeded does it commit, each worker
// swapping its model with one pointer swap on its thread; otherwise every staged model is
// aborted and the version is marked bad.
// The warm-up's answers must pass the caller's ReloadCheck (answer_check.h). After the switch,
// each worker keeps the version it replaced for the grace window (grace_window.h), and a
// failure of the new version in that window rolls the runtime back. Stop() abandons a reload in
// progress by terminating the isolates it is loading.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "code_cache_store.h"
#include "grace_window.h"
#include "version_record.h"
#include "tfjs_run/runtime.h"
#include "worker.h"

namespace tfjs_run::internal {

class Reloader {
 public:
  Reloader(const RuntimeOptions& options, const CodeCacheStore& cache, VersionRecord& record, GraceWindow& grace)
      : options_(options), cache_(cache), record_(record), grace_(grace) {}

  // Set once, before any reload, after the workers exist.
  void SetWorkers(std::vector<Worker*> workers) { workers_ = std::move(workers); }

  // Serialised: one reload at a time. `version` "" takes the bundle's declared version.
  ReloadResult Reload(const BundleSource& source, std::string version, const ReloadCheck& check);

  // Abandons the reload in progress (its loading isolates are terminated) and refuses new ones.
  // Returns at once; the abandoned Reload returns soon after, with nothing switched.
  void Stop();
  bool stopped();  // whether Stop was called
  // Waits until no Reload is running (after Stop, one returns soon). The runtime calls it before
  // its workers are destroyed: an abandoned Reload still reads and posts to them on its way out.
  void AwaitIdle();

 private:
  // A reload's way through staging on every worker.
  struct Staging {
    enum Outcome { kStaged, kFailed, kMarkedBad, kAbandoned };
    std::string version;                // as named, or the bundle's own once worker 0 loaded it
    CodeCacheStore::Bytes code_cache{};   // in: from disk; out: the one the workers were made from
    Outcome outcome = kStaged;
    std::string error{};                // kFailed: why, naming the worker
    size_t prepared = 0;                // workers holding a staged version (to abort)
    BundleInfo info{};                  // worker 0's staged model's, under `version`
    Staging Ends(Outcome o) {
      outcome = o;
      return std::move(*this);
    }
  };
  // Stages the version on each worker in turn; stops at the first that fails.
  Staging StageAll(const BundleSource& source, const ReloadCheck& check, Staging s, ReloadResult& result);
  // Opens the grace window, switches every worker, and records the version served.
  void CommitAll(const Staging& s, ReloadResult& result);
  void AbortStaged(size_t prepared);
  // Counts a failed reload (and marks `bad_version` bad, if given) and returns `result` with `error`.
  ReloadResult Failed(ReloadResult& result, std::string error, const std::string& bad_version = "");
  bool IsBad(const std::string& version) const;
  // Stages `spec` on `w`, on its own thread: "" or why the version may not serve there.
  std::string Prepare(Worker& w, StageSpec& spec);
  // Registers the reload's cancel token (StageSpec::cancel) for Stop; false if reloads are stopped.
  bool BeginPreparing(const std::shared_ptr<std::atomic<bool>>& cancel);
  // Unregisters it; false if Stop came meanwhile (the reload is then abandoned).
  bool EndPreparing();

  const RuntimeOptions& options_;
  const CodeCacheStore& cache_;
  VersionRecord& record_;
  GraceWindow& grace_;
  std::vector<Worker*> workers_;
  std::mutex reload_mu_;  // one reload at a time
  // Stop's state. Only a job that is still preparing is ever cancelled: the token stays with the
  // staged models, so it must never be set once they may serve.
  std::mutex stop_mu_;
  bool stopped_ = false;                        // guarded by stop_mu_
  std::shared_ptr<std::atomic<bool>> preparing_;  // guarded by stop_mu_
};

}  // namespace tfjs_run::internal
