// Reloader: the hot-reload protocol, and the record of which versions the runtime serves.
//
// Reload prepares the new version on each worker's own thread, one worker at a time between
// batches (the others keep serving): load (at lower priority), warm up with one predict. Only
// if every worker succeeded does it commit, each worker swapping its model with one pointer
// swap on its thread; otherwise every staged model is aborted and the version is marked bad.
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

// The warm-up input: the given sample (from the manifest or a push; CheckFits has checked its
// width), else the bundle's declared sampleInput, else one row of zeros. Returns false if the
// bundle's width is unknown (legacy).
bool WarmUpInput(const Model& model, const std::vector<float>& sample, std::vector<float>& out, size_t& rows);

class Reloader {
 public:
  Reloader(const RuntimeOptions& options, const CodeCacheStore& cache, VersionRecord& record, GraceWindow& grace)
      : options_(options), cache_(cache), record_(record), grace_(grace) {}

  // Set once, before any reload, after the workers exist.
  void SetWorkers(std::vector<Worker*> workers) { workers_ = std::move(workers); }

  // Worker::ControlHandler: runs one step of the protocol on the worker's own thread.
  std::string Handle(Worker& w, Worker::Control control);

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
  // Lives on the reloading thread's stack for the length of one Reload; workers read it only
  // while that thread waits for them, so it can refer to the caller's bundle and sample.
  struct Job {
    const BundleSource& source;
    std::string version;
    const ReloadCheck& check;
    CodeCacheStore::Bytes code_cache;  // made by the first worker
    std::shared_ptr<const BundleSource> kept;  // one copy for the workers to recycle from
    BundleInfo info;  // of worker 0's staged model
    // Set by Stop while the job prepares: terminates the staged isolates' JS (ModelOptions::cancel).
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
  };

  std::string Prepare(Worker& w, Job& job);
  // The staged model's warm-up: "" or why the version may not serve.
  std::string WarmUp(Model& staged, const Job& job, const std::string& version);
  // Registers the job's cancel token for Stop; false if reloads are stopped.
  bool BeginPreparing(const Job& job);
  // Unregisters it; false if Stop came meanwhile (the reload is then abandoned).
  bool EndPreparing();

  const RuntimeOptions& options_;
  const CodeCacheStore& cache_;
  VersionRecord& record_;
  GraceWindow& grace_;
  std::vector<Worker*> workers_;
  std::mutex reload_mu_;  // one reload at a time
  Job* job_ = nullptr;    // the reload being prepared; read by workers during kPrepare
  // Stop's state. Only a job that is still preparing is ever cancelled: the token stays with the
  // staged models, so it must never be set once they may serve.
  std::mutex stop_mu_;
  bool stopped_ = false;                        // guarded by stop_mu_
  std::shared_ptr<std::atomic<bool>> preparing_;  // guarded by stop_mu_
};

}  // namespace tfjs_run::internal
