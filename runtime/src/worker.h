// Worker: one thread that owns one isolate (a Model) and serves batches from the RequestQueue.
//
// Between batches it also handles control messages posted from other threads (the reload
// protocol: prepare a new version, commit the switch, abort); Post waits until it has. The
// worker's model slots are touched only by its own thread, and by the poster while the worker
// is handling that poster's message (the poster waits), so they need no lock.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "grace_window.h"
#include "request_queue.h"
#include "tfjs_run/model.h"
#include "tfjs_run/runtime.h"

namespace tfjs_run::internal {

class Worker {
 public:
  enum class Control { kNone, kPrepare, kCommit, kAbort };
  // Runs on the worker's thread; returns "" or why it failed.
  using ControlHandler = std::function<std::string(Worker&, Control)>;

  Worker(size_t index, int cpu, const RuntimeOptions& options, RequestQueue& queue, GraceWindow& grace,
         ControlHandler on_control);
  ~Worker();  // joins

  // Starts the thread: pins it, runs `load` (which must set `model`), fulfils `loaded` (with the
  // exception if load threw, and then the thread ends), then serves until the queue drains.
  void Start(std::function<void(Worker&)> load, std::promise<void>& loaded);
  void Join();

  // Posts a control message and waits until the worker has handled it between batches.
  // Returns its result, or an error if the runtime is shutting down.
  std::string Post(Control control);

  // A snapshot (latency percentiles of its last 8192 requests), and the raw latencies.
  WorkerStats Stats() const;
  std::vector<float> Latencies() const;
  // Updates this worker's stats under their lock (for the reload protocol's records).
  void UpdateStats(const std::function<void(WorkerStats&)>& f);
  double MillisecondsSincePost() const;

  const size_t index;
  // Owned by the worker thread (see the header comment).
  std::unique_ptr<Model> model, staged;
  std::string version, staged_version;
  double staged_load_ms = 0, staged_warmup_ms = 0;
  double start_warmup_ms = 0;  // set by the start-up load, if it warmed up
  // The bundle and code cache `model` (and `staged`) came from: a broken isolate is replaced
  // by loading them again.
  std::shared_ptr<const BundleSource> source, staged_source;
  std::shared_ptr<const std::vector<uint8_t>> code_cache, staged_code_cache;
  // The version served before the last switch, kept for its grace window (grace_window.h). Its
  // model may be gone (it broke) while its source is kept to load it again for a rollback.
  struct Previous {
    std::unique_ptr<Model> model;
    std::string version;
    std::shared_ptr<const BundleSource> source;
    std::shared_ptr<const std::vector<uint8_t>> code_cache;
  } previous;

 private:
  void Main(const std::function<void(Worker&)>& load, std::promise<void>& loaded);
  // Runs one predict call for the batch and completes its requests. If the call broke the
  // isolate (deadline, heap limit), the isolate is replaced first; then a batch of several
  // requests is run again request by request (so only a request that fails on its own fails),
  // and a request that broke an isolate is retried once alone (`retry`): a request that breaks
  // two isolates fails, with the reason, and nothing else fails with it.
  void RunBatch(std::vector<Task>& batch, std::vector<DenseMatrixView>& parts, bool retry);
  // Replaces a broken isolate with a fresh one of the same version. False if that load failed
  // (the old isolate then stays; its termination was cancelled, so it may still serve).
  bool Recycle();
  // A fresh isolate of a version this worker served, from its bundle and code cache.
  std::unique_ptr<Model> LoadAgain(const BundleSource& from, std::shared_ptr<const std::vector<uint8_t>> cache) const;
  // Before each batch while a previous version is held: drop it when the window has closed, or
  // swap it back in when the runtime rolled back.
  void TendGraceWindow();
  // Swaps the previous version back in (loading it again if its model broke). False if that
  // failed: the worker then goes on with the version it has.
  bool SwapBack();
  // The batch's one request failed on `model` with `error`: in a grace window, try the previous
  // version. On success, rolls the runtime back, fills `output` and clears `error`.
  void TryPrevious(std::vector<DenseMatrixView>& parts, DenseMatrix& output, std::exception_ptr& error);

  int cpu_;
  void Log(LogLevel level, const std::string& text) const;
  const RuntimeOptions& options_;
  RequestQueue& queue_;
  GraceWindow& grace_;
  ControlHandler on_control_;
  std::thread thread_;

  // The control mailbox, guarded by the queue's lock (RequestQueue::SignalUnlessStopped).
  Control control_ = Control::kNone;
  std::promise<std::string> control_done_;
  Clock::time_point control_posted_;

  mutable std::mutex stats_mu_;
  WorkerStats stats_;
  std::vector<float> latencies_;  // ring buffer, microseconds
  size_t latency_next_ = 0;
  std::vector<Request*> finished_;  // scratch, owned by the worker thread
};

// Latency percentiles of `v` (microseconds).
LatencyStats Percentiles(std::vector<float> v);

}  // namespace tfjs_run::internal
