// Runtime: a bundle loaded on N worker threads, one isolate each, safe to call from any thread.
//
//   tfjs_run::RuntimeOptions options;            // workers = the cores this process may use
//   auto runtime = tfjs_run::Runtime::Start(tfjs_run::BundleSource::FromFile("ml.bundle.js"), options);
//   tfjs_run::DenseMatrix out = runtime->Predict({rows, n, 13});          // blocking
//   std::future<tfjs_run::DenseMatrix> f = runtime->Submit({rows, n, 13}); // many in flight
//
// Each worker is pinned to one core and owns one isolate that no other thread enters. Workers
// take requests from one shared queue and concatenate the rows of queued requests into one
// predict call (up to max_batch_rows, waiting at most max_batch_delay for more), then split the
// output back per request: a stream of single-row calls costs what a batch costs. Requests
// larger than chunk_rows are split into chunks that workers run in parallel. The queue is
// bounded in rows: Submit blocks when it is full, TrySubmit fails with ErrorKind::kOverloaded.
// No V8 type appears in this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "tfjs_run/dense_matrix.h"
#include "tfjs_run/error.h"
#include "tfjs_run/model.h"

namespace tfjs_run {

struct RuntimeOptions {
  // Worker threads, one isolate each. 0: the number of CPUs this process may run on
  // (its affinity mask, so a cpuset or taskset is respected).
  size_t workers = 0;
  // Pin worker i to the i-th CPU of the affinity mask (round-robin if there are more workers).
  // kAuto pins when there are at least as many workers as CPUs, so each core runs exactly one
  // isolate; with fewer workers it leaves them free, because callers woken by a pinned worker
  // land on its core and preempt it (measured: 1 pinned worker ran ~30% slower; see
  // docs/benchmarks.md).
  enum class Pinning { kAuto, kAlways, kNever };
  Pinning pinning = Pinning::kAuto;
  // Most rows one predict call may get by concatenating queued requests.
  size_t max_batch_rows = 64;
  // How long a worker holding fewer than max_batch_rows waits for more requests. 0 (default):
  // never wait, take what is queued. Batches still form under load, because requests queue
  // while every worker is busy; a wait only idles a worker that could be predicting (measured
  // in docs/benchmarks.md: waiting 200-500 us lowered throughput with 16-256 callers).
  std::chrono::microseconds max_batch_delay{0};
  // Requests with more rows are split into chunks of this many rows (0: never split).
  // Large wasm batches are slower per row than medium ones; see docs/benchmarks.md.
  size_t chunk_rows = 256;
  // Most rows queued and not yet taken by a worker. A request larger than this is accepted
  // only when the queue is empty.
  size_t max_queue_rows = 65536;
  // Per-isolate options (load timeout, heap limit, log). Its code_cache is managed by the
  // runtime: leave it empty.
  ModelOptions model;
  // Whether workers share a V8 code cache (made by the first worker to load). Off: every
  // worker compiles the bundle itself (for measuring; there is no reason to turn it off).
  bool use_code_cache = true;
  // Directory for the V8 code cache, reused across starts (keyed by the bundle text and the
  // V8 version). Empty: the cache lives in memory for this start only.
  std::string code_cache_dir;
};

// Latency of requests, submit to result, in microseconds.
struct LatencyStats {
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
};

struct WorkerStats {
  size_t worker = 0;
  int cpu = -1;              // the CPU it is pinned to, -1 if not pinned
  uint64_t requests = 0;     // requests (or chunks of requests) completed by this worker
  uint64_t rows = 0;
  uint64_t batches = 0;      // predict calls
  uint64_t failed_batches = 0;
  double mean_batch_rows = 0;
  double busy_seconds = 0;   // time spent in predict
  double load_ms = 0;
  bool code_cache_accepted = false;
  LatencyStats latency;      // of the requests this worker finished (last 8192)
};

struct RuntimeStats {
  std::vector<WorkerStats> workers;
  size_t queue_rows = 0;        // rows waiting now
  size_t queue_requests = 0;
  size_t max_queue_rows_seen = 0;
  uint64_t rejected_overloaded = 0;  // TrySubmit refusals
  LatencyStats latency;         // of all requests (last 8192 per worker, merged)
};

class Runtime {
 public:
  using Callback = std::function<void(DenseMatrix result, std::exception_ptr error)>;

  // Loads the bundle on every worker (the first compiles it and makes the code cache the
  // others use, in parallel). Throws Error if the bundle fails to load.
  static std::unique_ptr<Runtime> Start(const BundleSource& source, const RuntimeOptions& options = {});

  // Shuts down (see Shutdown) if not done yet.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Predicts and waits. `input` is not copied: it must stay valid until this returns.
  // Throws Error (kShape before queueing, kPredict/kOutput from JS, kShutdown).
  DenseMatrix Predict(DenseMatrixView input);

  // Queues a copy of `input`; blocks while the queue is full. The future holds the result or
  // the Error. Throws Error(kShape) or Error(kShutdown) at once.
  std::future<DenseMatrix> Submit(DenseMatrixView input);
  // Like Submit, but calls `done` on a worker thread instead (keep it short; do not call
  // Predict from it).
  void Submit(DenseMatrixView input, Callback done);
  // Like Submit, but throws Error(kOverloaded) instead of blocking when the queue is full.
  std::future<DenseMatrix> TrySubmit(DenseMatrixView input);

  // Stops intake (new calls throw kShutdown), finishes every accepted request, then disposes
  // the isolates. Idempotent; blocks until done.
  void Shutdown();

  const BundleInfo& info() const;
  size_t workers() const;
  RuntimeStats Stats() const;

 private:
  struct Impl;
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tfjs_run
