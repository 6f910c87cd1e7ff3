// Worker: one isolate (its WorkerVersions) serving batches from the RequestQueue, on a thread of
// its own (a Runtime's worker) or as a slot on one of a ModelSet's shared threads
// (serving_threads.h).
//
// The reload protocol runs steps on it (stage a new version, commit the switch, abort); Run
// waits until one has. On a thread of its own, the thread runs the step between batches. As a
// slot, the step runs on the caller's thread while the slot is held out of its serving thread's
// turns, so a load never holds a thread other models are served on; the serving thread takes
// the slot back at its next turn.
//
// Whoever touches the versions holds serve_mu_: the serving thread for a batch or a step, Run
// for a slot's step, a slot's recovery thread, and a blocking Predict that runs on its own
// thread with this worker's model (TryPredictHere) while the worker is idle.
//
// A slot never loads on its serving thread: replacing a broken isolate, and a rollback that must
// load the previous version again, run on a recovery thread of their own (RecoverOffThread),
// which then finishes the batch that broke; the slot sits out its turns until it is done.
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
#include "serving_threads.h"
#include "tfjs_run/model.h"
#include "tfjs_run/runtime.h"
#include "worker_versions.h"

namespace tfjs_run::internal {

class Worker final : public ServedSlot {
 public:
  // A step of the reload protocol, run between batches: "" or why it failed.
  using Step = std::function<std::string(Worker&)>;

  // With `shared` null, the worker gets a thread of its own (pinned to `cpu` unless -1);
  // otherwise it is a slot served by thread `thread` of `shared` (whose CPU `cpu` is).
  Worker(size_t index, int cpu, const RuntimeOptions& options, RequestQueue& queue, GraceWindow& grace,
         ServingThreads* shared = nullptr, size_t thread = 0);
  ~Worker();  // joins

  // Starts a thread that stages and commits `first` (the start-up load; WorkerVersions) and
  // fulfils `loaded` (with the exception if that threw). A worker of its own then serves on that
  // thread until the queue drains; a slot is attached to its serving thread first and the loading
  // thread ends. `first` and `loaded` must outlive the wait on `loaded`.
  void Start(StageSpec& first, std::promise<void>& loaded);
  // Returns when the worker has served its queue out and disposed its isolates (or its load failed).
  void Join();

  // Runs `step` between batches and waits until it has. Returns its result, or an error if the
  // runtime is shutting down.
  std::string Run(const Step& step);

  // ServedSlot: one turn on the shared thread.
  Turn ServeTurn() override;

  // RuntimeOptions::caller_runs: if this worker is idle and its model runs without JS
  // (Model::runs_without_js) and holds no previous version (a grace window's retries and
  // rollback need the queue), predicts `input` on the calling thread with it, counted in this
  // worker's stats. False (nothing done) otherwise; the caller then queues. Throws the model's
  // error as the queue would deliver it.
  bool TryPredictHere(DenseMatrixView input, Prediction& out);

  // For steps only (see Run for the thread they run on).
  WorkerVersions& versions() { return versions_; }
  // Commits the staged version (WorkerVersions::Commit) and records the switch in the stats.
  void CommitStaged();

  // A snapshot (latency percentiles of its last 8192 requests), and the raw latencies.
  WorkerStats Stats() const;
  std::vector<float> Latencies() const;

  const size_t index;

 private:
  void Main(StageSpec& first, std::promise<void>& loaded);
  // The start-up load (Start). False if it threw: `loaded` then holds the exception.
  bool LoadFirst(StageSpec& first, std::promise<void>& loaded);
  // Pins the calling thread to cpu_, if it is a CPU.
  void Pin();
  // Runs one predict call for the batch and completes its requests. If the call broke the
  // isolate (deadline, heap limit), the isolate is replaced first; then a batch of several
  // requests is run again request by request (so only a request that fails on its own fails),
  // and a request that broke an isolate is retried once alone (`retry`): a request that breaks
  // two isolates fails, with the reason, and nothing else fails with it.
  void RunBatch(std::vector<Task>& batch, std::vector<DenseMatrixView>& parts, bool retry);
  // The rest of RunBatch once the predict call ran: replaces a broken isolate, reruns as RunBatch
  // says, tries the previous version, and completes the requests.
  void FinishBatch(std::vector<Task>& batch, std::vector<DenseMatrixView>& parts, DenseMatrix& output,
                   std::exception_ptr error, bool broke, bool retry, Clock::time_point end);
  // A slot, on its serving thread, under serve_mu_: runs `work` on a recovery thread that takes
  // serve_mu_ once this turn ends (work deferred later in the same turn runs there too, in
  // order). The slot's turns are idle (and TryPredictHere declines) until it has run; then the
  // threads are woken.
  void RecoverOffThread(std::function<void()> work);
  // Replaces a broken isolate with a fresh one of the same version. False if that load failed
  // (the old isolate then stays; its termination was cancelled, so it may still serve).
  bool Recycle();
  // Before each batch while a previous version is held: drop it when the window has closed, or
  // swap it back in when the runtime rolled back. False if a slot's rollback went to a recovery
  // thread (it must load), taking `batch` (if any) to run after it: the turn then runs none.
  bool TendGraceWindow(std::vector<Task>* batch);
  // Swaps the previous version back in. False if that failed: the worker then goes on with the
  // version it has.
  bool RollBack();
  // The batch's one request failed on the current version with `error`: in a grace window, try
  // the previous version. On success, rolls the runtime back, fills `output` and clears `error`.
  void TryPrevious(std::vector<DenseMatrixView>& parts, DenseMatrix& output, std::exception_ptr& error);
  // A slot whose serve_mu_ was just released: its serving thread may have found it held, taken
  // the turn as idle and gone to sleep with requests queued (their push rang before), so ring
  // again if there are any.
  void RingIfQueued();
  void UpdateStats(const std::function<void(WorkerStats&)>& f);
  // A request finished `us` after it was submitted. Under stats_mu_.
  void RecordFinishedLocked(float us, bool failed);
  // WorkerStats::memory_bytes from the current isolate. At `t` (a batch's end): only if 100 ms
  // have passed since the last sample; without `t`, now.
  void SampleMemory(std::optional<Clock::time_point> t = std::nullopt);
  void Log(LogLevel level, const std::string& text) const;

  int cpu_;
  const RuntimeOptions& options_;
  RequestQueue& queue_;
  GraceWindow& grace_;
  WorkerVersions versions_;  // touched only under serve_mu_
  std::thread thread_;       // its own, or (a slot) the one that loads it and ends

  // A slot on a shared thread, or null.
  ServingThreads* const shared_;
  const size_t thread_index_;
  std::mutex serve_mu_;           // held by whoever touches versions_ (see the top)
  bool served_out_ = false;       // guarded by serve_mu_: drained, isolates disposed
  bool attached_ = false;         // written by the loading thread, read after it is joined
  std::promise<void> detached_;   // set by the serving thread after the slot's last turn
  std::future<void> detached_future_ = detached_.get_future();
  std::vector<Task> batch_;              // scratch for turns
  std::vector<DenseMatrixView> parts_;   // scratch for turns
  bool recovering_ = false;              // guarded by serve_mu_: a recovery thread is pending or running
  bool on_recovery_thread_ = false;      // guarded by serve_mu_: the holder is the recovery thread
  std::thread recovery_;                 // the last recovery thread; joined before the next and in Join
  std::vector<std::function<void()>> recovery_work_;  // guarded by serve_mu_: what it is to run, in order

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
