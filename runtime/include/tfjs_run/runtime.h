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
// Hot reload: Reload() (push) or Watch() (poll a file server) swap in a new bundle version on
// every worker without failing or losing a request; see Reload.
// No V8 type appears in this header.
#pragma once

#include <algorithm>
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

namespace internal {
class ServingThreads;
}  // namespace internal
class ModelSet;

// Each numeric option's accepted values sit beside its default (k<Name>: OptionRange, in the
// unit the name ends with); see option_range.h.
struct RuntimeOptions {
  // Worker threads, one isolate each. 0: the number of CPUs this process may run on
  // (its affinity mask, so a cpuset or taskset is respected).
  size_t workers = 0;
  static constexpr OptionRange kWorkers{0, 1024};
  // Pin worker i to the i-th CPU of the affinity mask (round-robin if there are more workers).
  // kAuto pins when there are at least as many workers as CPUs, so each core runs exactly one
  // isolate; with fewer workers it leaves them free, because callers woken by a pinned worker
  // land on its core and preempt it (measured: 1 pinned worker ran ~30% slower; see
  // docs/benchmarks.md).
  enum class Pinning { kAuto, kAlways, kNever };
  Pinning pinning = Pinning::kAuto;
  // Most rows one predict call may get by concatenating queued requests.
  size_t max_batch_rows = 64;
  static constexpr OptionRange kMaxBatchRows{1, 1 << 24};
  // How long a worker holding fewer than max_batch_rows waits for more requests. 0 (default):
  // never wait, take what is queued. Batches still form under load, because requests queue
  // while every worker is busy; a wait only idles a worker that could be predicting (measured
  // in docs/benchmarks.md: waiting 200-500 us lowered throughput with 16-256 callers).
  std::chrono::microseconds max_batch_delay{0};
  static constexpr OptionRange kMaxBatchDelayUs{0, 10'000'000};
  // Latency mode (0: off). A worker that finds the queue empty polls it for this long before it
  // sleeps, and a blocking Predict polls for its answer as long before it sleeps. A call then
  // skips the two thread wake-ups (each a futex and a reschedule, ~20 us on a VM) that dominate
  // a native model's batch-1 latency, at the cost of up to this much CPU per idle gap on each
  // worker and caller. Worth it when the workers' cores are the runtime's own.
  std::chrono::microseconds spin{0};
  static constexpr OptionRange kSpinUs{0, 1'000'000};
  // A blocking Predict (or PredictVersioned) of at most max_batch_rows rows, on a model that runs
  // natively with no JS (Model::runs_without_js), runs on the calling thread, with the model of
  // a worker that is idle at that moment, as ONNX Runtime's Run does: no queue, and none of the
  // two thread wake-ups a queued call costs. When every worker is busy (or the version serving
  // is in its grace window, or the model is in tfjs) the call queues as before. The workers'
  // stats count such calls (WorkerStats::caller_batches). Submit and TrySubmit always queue.
  bool caller_runs = true;
  // Requests with more rows are split into chunks of this many rows (0: never split).
  // Large wasm batches are slower per row than medium ones; see docs/benchmarks.md.
  size_t chunk_rows = 256;
  static constexpr OptionRange kChunkRows{0, 1 << 24};
  // Most rows queued and not yet taken by a worker. A request larger than this is accepted
  // only when the queue is empty.
  size_t max_queue_rows = 65536;
  static constexpr OptionRange kMaxQueueRows{1, (int64_t{1} << 31) - 1};
  // Per-isolate options (load timeout, heap limit, log). Its code_cache is managed by the
  // runtime: leave it empty.
  ModelOptions model;
  // While a worker loads a new version (Reload), its thread runs this much nicer (lower
  // priority), so the workers still serving keep their cores; restored after. 0: off. Applied
  // only where the process may restore it (root, or RLIMIT_NICE room).
  int reload_nice = 10;
  static constexpr OptionRange kReloadNice{0, 19};
  // The grace window after a reload switches (docs/publishing.md): each worker keeps the
  // previous version loaded until the window ends, whichever limit comes first: this long after
  // the switch, or this many batches run on the new version (over all workers); 0 turns a limit
  // off, both 0 turn the window off. A request the new version fails in the window and the
  // previous one answers gets that answer, and the runtime rolls back to the previous version,
  // marking the new one bad. Costs one more isolate per worker for the length of the window.
  std::chrono::milliseconds rollback_window{60000};
  static constexpr OptionRange kRollbackWindowMs{0, 86'400'000};
  uint64_t rollback_window_batches = 10000;
  static constexpr OptionRange kRollbackWindowBatches{0, 1'000'000'000'000};
  // Whether workers share a V8 code cache (made by the first worker to load). Off: every
  // worker compiles the bundle itself (for measuring; there is no reason to turn it off).
  bool use_code_cache = true;
  // Directory for the V8 code cache, reused across starts (keyed by the bundle text and the
  // V8 version). Empty: the cache lives in memory for this start only. With use_code_cache, the
  // load-time check's passes are kept here too, unless model.check_verdict_dir names a place.
  std::string code_cache_dir;
};

// Latency of requests, submit to result, in microseconds.
struct LatencyStats {
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
};

// Every request completed, answered or failed, and the sum, min and max of their durations
// (submit to result): FLIP-23's usage and duration stats. Over all time, not a window.
struct RequestTotals {
  uint64_t count = 0;
  uint64_t failed = 0;
  double sum_us = 0, min_us = 0, max_us = 0;
  void Add(const RequestTotals& o) {
    if (o.count == 0) return;
    min_us = count == 0 ? o.min_us : std::min(min_us, o.min_us);
    max_us = std::max(max_us, o.max_us);
    sum_us += o.sum_us;
    count += o.count;
    failed += o.failed;
  }
};

struct WorkerStats {
  size_t worker = 0;
  std::string version;       // the bundle version this worker serves now
  double last_switch_ms = 0; // how long its last reload's swap took (commit posted -> swapped)
  uint64_t switches = 0;
  int cpu = -1;              // the CPU it is pinned to, -1 if not pinned
  uint64_t requests = 0;     // requests (or chunks of requests) completed by this worker
  RequestTotals finished;    // whole requests this worker completed (their last chunk)
  uint64_t rows = 0;
  uint64_t batches = 0;      // predict calls
  uint64_t caller_batches = 0;  // of those, run on a blocking Predict's own thread (RuntimeOptions::caller_runs)
  uint64_t failed_batches = 0;
  double mean_batch_rows = 0;
  double busy_seconds = 0;   // time spent in predict
  size_t memory_bytes = 0;   // its isolate's JS heap in use plus buffers (Model::memory_bytes), sampled
                             // at most every 100 ms after a batch, and at start and each switch
  double cpu_seconds = 0;    // CPU time of the worker's thread (user + system) as of its last
                             // batch; V8's background threads and the callers are not in it. On a
                             // ModelSet's shared thread, that thread's, spent on all its models
  double load_ms = 0;
  double warmup_ms = 0;      // the warm-up predict at start (the worker that makes the code cache)
  bool code_cache_accepted = false;
  uint64_t recycles = 0;     // isolates replaced after a call broke one (deadline, memory budget)
  uint64_t rollbacks = 0;    // times it swapped the previous version back in (grace window)
  LatencyStats latency;      // of the requests this worker finished (last 8192)
};

// The outcome of a reload: all workers switched, or none did.
struct ReloadResult {
  bool ok = false;
  std::string version;
  std::string error;                    // why not, naming the version
  double total_ms = 0;                  // request to last worker switched
  std::vector<double> worker_load_ms;   // Model::Load on each worker (one at a time)
  std::vector<double> worker_warmup_ms; // the warm-up predict on each worker
  std::vector<double> worker_switch_ms; // commit posted -> swapped, on each worker
};

// The version poller (Runtime::Watch): what it fetched, and why it did not switch.
struct WatchStats {
  bool active = false;
  std::string source;
  uint64_t polls = 0;
  uint64_t unchanged = 0;         // manifest unchanged (304, same ETag or same version)
  uint64_t downloads = 0;         // bundles downloaded and verified
  uint64_t failures = 0;          // every poll that failed, for any reason below
  std::vector<std::pair<std::string, uint64_t>> failures_by_reason;  // e.g. {"http-404", 2}
  std::string last_error;         // names the version and the reason
  double last_manifest_ms = 0;    // the last manifest fetch
  double last_download_ms = 0;    // the last bundle download + verification
  ReloadResult last_reload;       // the last reload the watcher asked for
  std::vector<std::string> bad_versions;  // failed to load or warm up; skipped until a newer one
};

struct RuntimeStats {
  std::vector<WorkerStats> workers;
  uint64_t reloads_ok = 0;
  uint64_t reloads_failed = 0;
  std::string last_reload_error;
  uint64_t rollbacks = 0;       // switches undone in their grace window (RuntimeOptions::rollback_window)
  std::string last_rollback;    // which version, to which, and the request's error
  WatchStats watch;
  size_t queue_rows = 0;        // rows waiting now
  size_t queue_requests = 0;
  size_t max_queue_rows_seen = 0;
  uint64_t rejected_overloaded = 0;  // TrySubmit refusals
  uint64_t recomputed = 0;      // requests whose chunks straddled a version switch, run again
  LatencyStats latency;         // of all requests (last 8192 per worker, merged)
  RequestTotals requests;       // every request completed, over the workers
};

// A result with the bundle version that computed it. Every row of one request is computed by
// one version: a request whose chunks straddled a switch is recomputed whole.
struct Prediction {
  DenseMatrix output;
  std::string bundle_version;
  size_t worker = 0;  // the worker that finished it (for multi-chunk requests, the last chunk's)
};

// Where Runtime::Watch follows published bundles (see docs/publishing.md for the layout).
struct WatchOptions {
  // http(s)://host/base, file:///dir or a plain directory path, holding manifest.json.
  std::string source;
  std::chrono::milliseconds poll_interval{5000};
  static constexpr OptionRange kPollIntervalMs{10, 86'400'000};
  std::chrono::milliseconds connect_timeout{2000};
  static constexpr OptionRange kConnectTimeoutMs{1, 600'000};
  std::chrono::milliseconds total_timeout{30000};  // per request
  static constexpr OptionRange kTotalTimeoutMs{1, 3'600'000};
  size_t max_bundle_bytes = 256u << 20;  // never more than BundleSource::kMaxBytes, whatever this says
  static constexpr OptionRange kMaxBundleBytes{1, int64_t{1} << 34};
  size_t max_manifest_bytes = 1u << 20;
  bool verify_tls = true;
  std::string ca_file;  // extra CA bundle for TLS (e.g. a test's self-signed certificate)
  // Backoff after failures: poll_interval * 2^failures, capped, +-20% jitter.
  std::chrono::milliseconds max_backoff{60000};
  static constexpr OptionRange kMaxBackoffMs{10, 86'400'000};
  // Where each failure and switch is logged (default: stderr).
  LogSink log;
};

// What a new version must answer before it may serve (docs/publishing.md, "Checking answers").
// Each worker's warm-up predicts `sample`; with `expected` given, every answer must agree with
// it: |got - expected| <= tolerance * (1 + |expected|), so the tolerance is relative for large
// values and absolute near zero. A version that disagrees (or answers NaN) is refused, named
// with the row, column and both values, and never serves.
struct ReloadCheck {
  static constexpr double kDefaultTolerance = 1e-4;
  // Rows, row-major, a multiple of the bundle's input width (else the reload fails, naming the
  // version). Empty: the bundle's declared sampleInput, else a row of zeros.
  std::vector<float> sample;
  // The answers to `sample`, row-major: one row of the bundle's output width per sample row
  // (e.g. from the user's own validation of the model). Empty: any answer but NaN passes.
  std::vector<float> expected;
  double tolerance = kDefaultTolerance;
};

// A published bundle, fetched and verified (size and sha256 against its manifest).
struct PublishedBundle {
  BundleSource source;
  std::string version;
  std::string sha256;
  std::vector<float> sample_input;  // from the manifest; may be empty
  std::vector<float> expected_output;  // the manifest's answers to sample_input; may be empty
  double tolerance = ReloadCheck::kDefaultTolerance;
  ReloadCheck check() const { return {sample_input, expected_output, tolerance}; }
};

// Fetches the manifest and the bundle it names once. Throws Error(kBundleRead) naming the
// version and the reason (HTTP status, timeout, size, checksum, malformed manifest).
PublishedBundle FetchPublishedBundle(const WatchOptions& options);

class Runtime {
 public:
  using Callback = std::function<void(Prediction result, std::exception_ptr error)>;

  // Loads the bundle on every worker (the first compiles it and makes the code cache the
  // others use, in parallel). Throws Error if the bundle fails to load.
  static std::unique_ptr<Runtime> Start(const BundleSource& source, const RuntimeOptions& options = {});
  // The same, serving the bundle under `version` ("" takes the bundle's declared one), and, when
  // `check` has sample or expected rows, checking its answers (Verify) before any request: a first
  // version held to what a reload is held to (ModelSet::AddModel with a version).
  static std::unique_ptr<Runtime> Start(const BundleSource& source, const std::string& version,
                                        const ReloadCheck& check, const RuntimeOptions& options);
  // Starts from a published layout and follows it: fetches the manifest and the bundle it names
  // (FetchPublishedBundle), starts serving it under the manifest's version name, checks the
  // manifest's sample answers if it has them (Verify) before any request, then Watch(watch).
  // Throws Error if any step fails (kBundleRead for the fetch, kOutput for wrong answers).
  static std::unique_ptr<Runtime> StartWatching(const WatchOptions& watch, const RuntimeOptions& options = {});

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
  // The callback form of TrySubmit: throws Error(kOverloaded) (and `done` is never called)
  // instead of blocking when the queue is full.
  void TrySubmit(DenseMatrixView input, Callback done);
  // Predict / Submit that also tell which bundle version computed the result.
  Prediction PredictVersioned(DenseMatrixView input);
  std::future<Prediction> SubmitVersioned(DenseMatrixView input);

  // Hot reload. Loads `source` on each worker's own thread, one worker at a time between
  // batches (the others keep serving), warms each up with one predict (on `sample`, else the
  // bundle's sampleInput, else a zero row; a sample not of the input width fails the reload),
  // and only if every worker succeeded switches them
  // all, each with one pointer swap on its thread; the old isolates are then disposed. If any
  // worker fails, none switches, and the version is marked bad: Reload refuses it again until
  // a different version is given. `version` "" takes the bundle's own declared version.
  // Reloads are serialised. Refuses a bundle whose input width differs from the current one.
  ReloadResult Reload(const BundleSource& source, const std::string& version = "",
                      const std::vector<float>& sample = {});
  // The same, with the answers the warm-up must give (see ReloadCheck).
  ReloadResult Reload(const BundleSource& source, const std::string& version, const ReloadCheck& check);

  // Predicts `check.sample` on the version serving now and compares the answers as a reload
  // does. Throws Error(kOutput) naming the version, row and column of the first disagreement
  // (kShape if the sample is not rows of the input width). How the CLI checks the first version
  // it takes from a manifest, which no reload has checked.
  void Verify(const ReloadCheck& check);

  // Abandons a reload in progress and refuses new ones: the isolates it is loading are
  // terminated (within about 50 ms, even in a loop in the bundle's load()), nothing switches,
  // the version is not marked bad, and Reload returns an error saying so. Stops Watch (a later
  // Watch throws kShutdown). Serving
  // goes on with the current version. Shutdown does this first; a process that wants the rows
  // queued behind a slow load answered at once (the CLI on SIGTERM) calls it earlier.
  void StopReloading();

  // Starts a poller thread that follows `options.source` and reloads when its manifest names a
  // new version (see WatchOptions). Failures keep the current version serving, are counted in
  // Stats().watch, and are retried with backoff. One watch per runtime; Shutdown stops it.
  void Watch(const WatchOptions& options);

  // Abandons a reload in progress (StopReloading), stops intake (new calls throw kShutdown),
  // finishes every accepted request, then disposes the isolates. Idempotent; blocks until done,
  // which a slow load in a reload does not delay.
  void Shutdown();

  // What the current version declares (a copy: a reload may change it).
  BundleInfo info() const;
  size_t workers() const;
  RuntimeStats Stats() const;

 private:
  friend class ModelSet;
  struct Impl;
  explicit Runtime(std::unique_ptr<Impl> impl);
  // Start, serving the bundle under `version` ("" takes the bundle's declared one). With `shared`
  // (a ModelSet's), the workers are slots on those threads, one per thread unless
  // options.workers asks for fewer, instead of threads of their own.
  static std::unique_ptr<Runtime> StartAs(const BundleSource& source, const std::string& version,
                                          const RuntimeOptions& options, internal::ServingThreads* shared = nullptr);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tfjs_run
