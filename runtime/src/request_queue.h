// RequestQueue: the runtime's one bounded queue of requests, and how their chunks complete.
//
// Callers push requests; a request larger than chunk_rows is split into chunks that workers may
// run in parallel. Workers take batches: as many queued chunks, oldest first, as fit in
// max_rows. The queue is bounded in rows: Push blocks (or refuses, kOverloaded) when full. A
// request whose chunks were computed by two bundle versions is recomputed whole, so every
// answer comes from one version.
//
// Why one shared queue: any idle worker takes the oldest work, so every core stays busy without
// work stealing, and queued requests from many callers naturally form full batches. The cost is
// one mutex per hand-off, small next to a predict call (tens of microseconds).
//
// A runtime's own workers sleep in Take. Workers on a ModelSet's shared threads (serving_threads.h)
// never sleep here: they poll with TryTake, and the queue rings their threads' wake-up (SetWakeUp)
// whenever work arrives.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tfjs_run/runtime.h"

namespace tfjs_run::internal {

using Clock = std::chrono::steady_clock;

// A pause inside a polling loop: tells the CPU this is a spin (saves power, yields to the other
// hyperthread), where the architecture has such an instruction.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// One caller's request. Chunks of it may run on different workers.
struct Request {
  std::vector<float> owned_input;  // Submit copies the caller's rows; Predict does not
  DenseMatrixView input;
  Clock::time_point submitted;
  std::mutex mu;
  size_t pending_chunks = 0;
  DenseMatrix output;
  bool output_allocated = false;
  std::exception_ptr error;
  std::string version;   // of the first chunk computed
  bool mixed = false;    // a later chunk was computed by another version
  Runtime::Callback done;  // called once, on the worker that completes the request
};

// A chunk of a request: rows [first_row, first_row + rows).
struct Task {
  std::shared_ptr<Request> request;
  size_t first_row = 0;
  size_t rows = 0;
};

struct QueueStats {
  size_t rows = 0;
  size_t requests = 0;
  size_t max_rows_seen = 0;
  uint64_t rejected_overloaded = 0;
  uint64_t recomputed = 0;
};

class RequestQueue {
 public:
  // Makes an Error naming the bundle and version being served.
  using ErrorFactory = std::function<Error(ErrorKind, std::string)>;

  RequestQueue(size_t max_rows, size_t chunk_rows, ErrorFactory named_error);

  // Queues the request's chunks. Blocks while the queue is full, or, with block false, throws
  // kOverloaded. Throws kShutdown once Stop was called.
  void Push(std::shared_ptr<Request> request, bool block);

  // Called after work arrives (a push, a request queued again, the stop): `everyone` when more
  // than one taker may have something to do. Set before the first Push.
  using WakeUp = std::function<void(bool everyone)>;
  void SetWakeUp(WakeUp wake_up) { wake_up_ = std::move(wake_up); }

  enum class Taken { kBatch, kInterrupted, kDrained, kEmpty };
  // Waits until there is work, `interrupted()` (checked under the queue's lock, and returning
  // at once when it is true, so it may consume what it reports) is true, or the queue is
  // stopped and empty. On work, moves the oldest chunks that fit in max_rows (at least
  // one) into `batch`, waiting up to `delay` for more. With `spin`, an empty queue is polled
  // that long before the worker sleeps (RuntimeOptions::spin).
  Taken Take(std::vector<Task>& batch, size_t max_rows, std::chrono::microseconds delay,
             const std::function<bool()>& interrupted, std::chrono::microseconds spin = {});
  // Take without waiting: kBatch (the oldest chunks that fit in max_rows), kEmpty, or kDrained
  // (stopped and empty).
  Taken TryTake(std::vector<Task>& batch, size_t max_rows);

  // Records one chunk's result (`output` rows from `output_first_row`, or `error`) in its
  // request. Returns true when the request is complete: then exactly one caller, once, gets
  // true and must call Finish. A request whose chunks straddled a version switch is queued
  // again whole instead (at the front) and false is returned.
  bool Complete(Task& task, const DenseMatrix* output, size_t output_first_row, std::exception_ptr error,
                const std::string& version);
  static void Finish(Request& request, size_t worker);

  // Runs `f` under the queue's lock unless the queue is stopped, then wakes every waiting
  // worker (so a worker's `interrupted` predicate sees what `f` set). False if stopped.
  bool SignalUnlessStopped(const std::function<void()>& f);

  // Wakes every taker, waiting (Take) or on a shared thread (the wake-up), with nothing new
  // queued: for news outside the queue that an `interrupted` predicate or a turn checks.
  void WakeEveryone();

  // No new requests; workers finish what was accepted, then Take returns kDrained.
  void Stop();
  bool stopped() const;
  bool empty() const;  // nothing queued
  QueueStats Stats() const;

 private:
  // Under mu_: moves the oldest chunks that fit (at least one) into `batch`, adding to `rows`.
  void TakeLocked(std::vector<Task>& batch, size_t& rows, size_t max_rows);
  void Wake(bool everyone) {
    if (wake_up_) wake_up_(everyone);
  }

  const size_t max_rows_;
  const size_t chunk_rows_;
  const ErrorFactory named_error_;
  WakeUp wake_up_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // workers wait for tasks
  std::condition_variable space_cv_;  // pushers wait for room
  std::deque<Task> queue_;
  size_t queued_rows_ = 0;
  size_t max_queued_rows_seen_ = 0;
  uint64_t rejected_overloaded_ = 0;
  uint64_t recomputed_ = 0;
  bool stopping_ = false;
};

}  // namespace tfjs_run::internal
