// Worker: one thread that owns one isolate (its WorkerVersions) and serves batches from the
// RequestQueue.
//
// Between batches it also runs steps posted from other threads (the reload protocol: stage a new
// version, commit the switch, abort); Run waits until it has. The worker's versions are touched
// only by its own thread, so they need no lock.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "grace_window.h"
#include "request_queue.h"
#include "tfjs_run/model.h"
#include "tfjs_run/runtime.h"
#include "worker_versions.h"

namespace tfjs_run::internal {

class Worker {
 public:
  // A step of the reload protocol, run on the worker's thread between batches: "" or why it failed.
  using Step = std::function<std::string(Worker&)>;

  Worker(size_t index, int cpu, const RuntimeOptions& options, RequestQueue& queue, GraceWindow& grace);
  ~Worker();  // joins

  // Starts the thread: pins it, stages and commits `first` (the start-up load; WorkerVersions),
  // fulfils `loaded` (with the exception if that threw, and then the thread ends), then serves
  // until the queue drains. `first` and `loaded` must outlive the wait on `loaded`.
  void Start(StageSpec& first, std::promise<void>& loaded);
  void Join();

  // Runs `step` on the worker's thread between batches and waits until it has. Returns its
  // result, or an error if the runtime is shutting down.
  std::string Run(const Step& step);

  // For steps, on the worker's own thread only.
  WorkerVersions& versions() { return versions_; }
  // Commits the staged version (WorkerVersions::Commit) and records the switch in the stats.
  void CommitStaged();

  // A snapshot (latency percentiles of its last 8192 requests), and the raw latencies.
  WorkerStats Stats() const;
  std::vector<float> Latencies() const;

  const size_t index;

 private:
  void Main(StageSpec& first, std::promise<void>& loaded);
  // Runs one predict call for the batch and completes its requests. If the call broke the
  // isolate (deadline, heap limit), the isolate is replaced first; then a batch of several
  // requests is run again request by request (so only a request that fails on its own fails),
  // and a request that broke an isolate is retried once alone (`retry`): a request that breaks
  // two isolates fails, with the reason, and nothing else fails with it.
  void RunBatch(std::vector<Task>& batch, std::vector<DenseMatrixView>& parts, bool retry);
  // Replaces a broken isolate with a fresh one of the same version. False if that load failed
  // (the old isolate then stays; its termination was cancelled, so it may still serve).
  bool Recycle();
  // Before each batch while a previous version is held: drop it when the window has closed, or
  // swap it back in when the runtime rolled back.
  void TendGraceWindow();
  // Swaps the previous version back in. False if that failed: the worker then goes on with the
  // version it has.
  bool RollBack();
  // The batch's one request failed on the current version with `error`: in a grace window, try
  // the previous version. On success, rolls the runtime back, fills `output` and clears `error`.
  void TryPrevious(std::vector<DenseMatrixView>& parts, DenseMatrix& output, std::exception_ptr& error);
  void UpdateStats(const std::function<void(WorkerStats&)>& f);
  // WorkerStats::memory_bytes from the current isolate. At `t` (a batch's end): only if 100 ms
  // have passed since the last sample; without `t`, now.
  void SampleMemory(std::optional<Clock::time_point> t = std::nullopt);
  void Log(LogLevel level, const std::string& text) const;

  int cpu_;
  const RuntimeOptions& options_;
  RequestQueue& queue_;
  GraceWindow& grace_;
  WorkerVersions versions_;  // owned by the worker thread
  std::thread thread_;

  // The step mailbox, guarded by the queue's lock (RequestQueue::SignalUnlessStopped).
  const Step* step_ = nullptr;
  std::promise<std::string> step_done_;
  Clock::time_point step_posted_;

  mutable std::mutex stats_mu_;
  WorkerStats stats_;
  std::vector<float> latencies_;  // ring buffer, microseconds
  size_t latency_next_ = 0;
  std::vector<Request*> finished_;  // scratch, owned by the worker thread
  Clock::time_point memory_sampled_{};  // owned by the worker thread
};

// Latency percentiles of `v` (microseconds).
LatencyStats Percentiles(std::vector<float> v);

}  // namespace tfjs_run::internal
