// Runtime: the public API over the runtime's parts, each in its own unit:
//   RequestQueue (request_queue.h)     the bounded batching queue and how requests complete
//   Worker (worker.h)                  one isolate serving batches, on a thread of its own or shared
//   ServingThreads (serving_threads.h) a ModelSet's threads, shared by its models' workers
//   Reloader (reloader.h)              the hot-reload protocol and the version record
//   answer_check.h                     what a new version must answer (ReloadCheck)
//   CodeCacheStore (code_cache_store.h) V8 code caches on disk
//   WorkerVersions (worker_versions.h) the versions a worker holds, and how one is loaded
//   VersionWatcher (version_watcher.h) polling a file server for new versions
//   published_bundle.h, fetch.h       reading a published layout (manifest, bundle, checksum)
// This file starts them in order, routes the API's calls, and merges their stats.
#include "tfjs_run/runtime.h"

#include <sched.h>

#include <atomic>
#include <thread>
#include <type_traits>

#include "answer_check.h"
#include "code_cache_store.h"
#include "reloader.h"
#include "request_queue.h"
#include "published_bundle.h"
#include "version_watcher.h"
#include "worker.h"

namespace tfjs_run {

using internal::Clock;
using internal::Request;
using internal::Worker;

namespace {

// The CPUs this process may run on (its affinity mask; respects cpusets and taskset).
std::vector<int> AllowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int i = 0; i < CPU_SETSIZE; ++i) {
      if (CPU_ISSET(i, &set)) cpus.push_back(i);
    }
  }
  if (cpus.empty()) {
    unsigned n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) cpus.push_back(static_cast<int>(i));
  }
  return cpus;
}

// The load-time check's verdicts live beside the code caches, unless the caller chose a place.
RuntimeOptions WithVerdictDir(RuntimeOptions o) {
  if (o.model.check_verdict_dir.empty() && o.use_code_cache) o.model.check_verdict_dir = o.code_cache_dir;
  return o;
}

}  // namespace

struct Runtime::Impl {
  explicit Impl(const RuntimeOptions& o)
      : options(WithVerdictDir(o)),
        cache(o.code_cache_dir),
        queue(o.max_queue_rows, o.chunk_rows, [this](ErrorKind kind, std::string message) {
          return NamedError(kind, std::move(message));
        }),
        grace(options, record),
        reloader(options, cache, record, grace) {}

  Error NamedError(ErrorKind kind, std::string message) const {
    std::lock_guard lock(record.mu);
    return Error(kind, std::move(message), {}, record.info.name, record.info.version);
  }
  void CheckShape(DenseMatrixView input) const;
  Prediction EmptyPrediction() const;
  template <typename T>
  std::future<T> Start(DenseMatrixView input, bool copy, bool block);
  // A blocking call: on the caller's thread with an idle worker's model when options.caller_runs
  // allows (Worker::TryPredictHere), else queued.
  Prediction PredictBlocking(DenseMatrixView input);
  void StartWithCallback(DenseMatrixView input, Runtime::Callback done, bool block);

  const RuntimeOptions options;
  internal::CodeCacheStore cache;
  internal::VersionRecord record;
  internal::RequestQueue queue;
  internal::GraceWindow grace;
  internal::Reloader reloader;
  std::vector<std::unique_ptr<Worker>> workers;
  std::atomic<size_t> next_here{0};  // the worker a caller-run call tries first, spreading them
  std::unique_ptr<VersionWatcher> watcher;
  std::mutex shutdown_mu;
  bool stopped = false;
};

void Runtime::Impl::CheckShape(DenseMatrixView input) const {
  std::lock_guard lock(record.mu);
  const BundleInfo& info = record.info;
  if (info.input_cols >= 0 && static_cast<int64_t>(input.cols()) != info.input_cols) {
    throw Error(ErrorKind::kShape, "input has " + std::to_string(input.cols()) + " columns; the bundle expects " +
                                       std::to_string(info.input_cols), {}, info.name, info.version);
  }
  if (info.max_rows >= 0) {
    throw Error(ErrorKind::kShape, "the bundle's inputShape fixes the row count; the Runtime batches rows "
                                   "and cannot serve it (use Model)", {}, info.name, info.version);
  }
}

std::unique_ptr<Runtime> Runtime::Start(const BundleSource& source, const RuntimeOptions& options) {
  return StartAs(source, "", options);
}

std::unique_ptr<Runtime> Runtime::Start(const BundleSource& source, const std::string& version,
                                        const ReloadCheck& check, const RuntimeOptions& options) {
  std::unique_ptr<Runtime> runtime = StartAs(source, version, options);
  if (!check.sample.empty() || !check.expected.empty()) runtime->Verify(check);
  return runtime;
}

std::unique_ptr<Runtime> Runtime::StartWatching(const WatchOptions& watch, const RuntimeOptions& options) {
  PublishedBundle published = FetchPublishedBundle(watch);
  std::unique_ptr<Runtime> runtime = StartAs(published.source, published.version, options);
  runtime->Verify(published.check());  // no reload checked the first version
  runtime->Watch(watch);
  return runtime;
}

std::vector<int> internal::ServingCpus(const RuntimeOptions& options) {
  const std::vector<int> cpus = AllowedCpus();
  const size_t n = options.workers > 0 ? options.workers : cpus.size();
  const bool pin = options.pinning == RuntimeOptions::Pinning::kAlways ||
                   (options.pinning == RuntimeOptions::Pinning::kAuto && n >= cpus.size());
  std::vector<int> out;
  for (size_t i = 0; i < n; ++i) out.push_back(pin ? cpus[i % cpus.size()] : -1);
  return out;
}

std::unique_ptr<Runtime> Runtime::StartAs(const BundleSource& source, const std::string& version,
                                          const RuntimeOptions& options, internal::ServingThreads* shared) {
  auto impl = std::make_unique<Impl>(options);
  std::vector<Worker*> workers;
  if (shared) {
    impl->queue.SetWakeUp([shared](bool everyone) { shared->Wake(everyone); });
    const size_t n = options.workers > 0 ? std::min(options.workers, shared->size()) : shared->size();
    const size_t first_thread = shared->NextFirstThread();
    for (size_t i = 0; i < n; ++i) {
      const size_t thread = (first_thread + i) % shared->size();
      impl->workers.push_back(std::make_unique<Worker>(i, shared->cpu(thread), impl->options, impl->queue, impl->grace,
                                                       shared, thread));
    }
  } else {
    const std::vector<int> cpus = internal::ServingCpus(options);
    for (size_t i = 0; i < cpus.size(); ++i) {
      impl->workers.push_back(std::make_unique<Worker>(i, cpus[i], impl->options, impl->queue, impl->grace));
    }
  }
  const size_t n = impl->workers.size();
  for (auto& w : impl->workers) workers.push_back(w.get());
  impl->reloader.SetWorkers(workers);

  // Worker 0 loads first and leaves a code cache (unless one from disk was accepted); the
  // others then load in parallel from it. Each stages and commits its first version on its own
  // thread (WorkerVersions, the path a reload takes too).
  const internal::CodeCacheStore::Bytes disk_cache = options.use_code_cache ? impl->cache.Load(source.code) : nullptr;
  const auto kept = std::make_shared<const BundleSource>(source);  // kept by workers, to recycle
  std::vector<internal::StageSpec> first(n);
  std::vector<std::promise<void>> loaded(n);
  std::exception_ptr failure;
  first[0] = {.source = kept, .version = version, .code_cache = disk_cache, .make_cache = options.use_code_cache};
  impl->workers[0]->Start(first[0], loaded[0]);
  try {
    loaded[0].get_future().get();
    if (first[0].code_cache && first[0].code_cache != disk_cache) impl->cache.Save(source.code, *first[0].code_cache);
    std::lock_guard lock(impl->record.mu);
    impl->record.info = first[0].info;
  } catch (...) {
    failure = std::current_exception();
  }
  if (!failure) {
    std::vector<std::future<void>> rest;
    for (size_t i = 1; i < n; ++i) {
      first[i] = {.source = kept, .version = version, .code_cache = first[0].code_cache, .make_cache = false};
      rest.push_back(loaded[i].get_future());
      impl->workers[i]->Start(first[i], loaded[i]);
    }
    for (auto& f : rest) {
      try { f.get(); } catch (...) { if (!failure) failure = std::current_exception(); }
    }
  }
  std::unique_ptr<Runtime> runtime(new Runtime(std::move(impl)));
  if (failure) {
    runtime->Shutdown();
    std::rethrow_exception(failure);
  }
  return runtime;
}

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Runtime::~Runtime() { Shutdown(); }

void Runtime::StopReloading() {
  impl_->reloader.Stop();  // first: the watcher may be waiting in a reload's slow load
  std::lock_guard shutdown_lock(impl_->shutdown_mu);
  if (impl_->watcher) impl_->watcher->Stop();
}

void Runtime::Shutdown() {
  impl_->reloader.Stop();  // before the lock: a Watch or StopReloading holding it may wait on a reload
  impl_->reloader.AwaitIdle();  // a Reload on another thread returns before the workers may go
  std::lock_guard shutdown_lock(impl_->shutdown_mu);
  if (impl_->stopped) return;
  if (impl_->watcher) impl_->watcher->Stop();  // no reload starts after this
  impl_->queue.Stop();
  for (auto& w : impl_->workers) w->Join();
  impl_->stopped = true;
}

namespace {
std::shared_ptr<Request> NewRequest(DenseMatrixView input, bool copy) {
  auto request = std::make_shared<Request>();
  if (copy) {
    request->owned_input.assign(input.data(), input.data() + input.size());
    request->input = DenseMatrixView(request->owned_input.data(), input.rows(), input.cols());
  } else {
    request->input = input;  // the caller waits, so its memory stays valid
  }
  return request;
}

// Completes into a promise of T (DenseMatrix or Prediction).
template <typename T>
std::future<T> Promise(Request& request) {
  auto promise = std::make_shared<std::promise<T>>();
  request.done = [promise](Prediction p, std::exception_ptr error) {
    if (error) {
      promise->set_exception(error);
    } else if constexpr (std::is_same_v<T, Prediction>) {
      promise->set_value(std::move(p));
    } else {
      promise->set_value(std::move(p.output));
    }
  };
  return promise->get_future();
}

template <typename T>
std::future<T> Ready(T value) {
  std::promise<T> p;
  p.set_value(std::move(value));
  return p.get_future();
}
}  // namespace

Prediction Runtime::Impl::EmptyPrediction() const {
  std::lock_guard lock(record.mu);
  const BundleInfo& info = record.info;
  return Prediction{DenseMatrix(0, info.output_cols > 0 ? static_cast<size_t>(info.output_cols) : 0), info.version};
}

template <typename T>
std::future<T> Runtime::Impl::Start(DenseMatrixView input, bool copy, bool block) {
  CheckShape(input);
  if (input.rows() == 0) {
    Prediction empty = EmptyPrediction();
    if constexpr (std::is_same_v<T, Prediction>) return Ready(std::move(empty));
    else return Ready(std::move(empty.output));
  }
  auto request = NewRequest(input, copy);
  auto future = Promise<T>(*request);
  queue.Push(std::move(request), block);
  return future;
}

void Runtime::Impl::StartWithCallback(DenseMatrixView input, Callback done, bool block) {
  CheckShape(input);
  if (input.rows() == 0) {
    done(EmptyPrediction(), nullptr);
    return;
  }
  auto request = NewRequest(input, /*copy=*/true);
  request->done = std::move(done);
  queue.Push(std::move(request), block);
}

namespace {
// RuntimeOptions::spin: poll for the answer before sleeping on it.
template <typename T>
T GetSpinning(std::future<T> f, std::chrono::microseconds spin) {
  if (spin.count() > 0) {
    const auto until = internal::Clock::now() + spin;
    while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready && internal::Clock::now() < until) {
      internal::CpuRelax();
    }
  }
  return f.get();
}
}  // namespace

Prediction Runtime::Impl::PredictBlocking(DenseMatrixView input) {
  if (options.caller_runs && input.rows() > 0 && input.rows() <= options.max_batch_rows) {
    CheckShape(input);
    const size_t n = workers.size();
    const size_t first = next_here.fetch_add(1, std::memory_order_relaxed);
    Prediction p;
    for (size_t i = 0; i < n; ++i) {
      if (workers[(first + i) % n]->TryPredictHere(input, p)) return p;
    }
  }
  return GetSpinning(Start<Prediction>(input, /*copy=*/false, /*block=*/true), options.spin);
}

DenseMatrix Runtime::Predict(DenseMatrixView input) { return std::move(impl_->PredictBlocking(input).output); }
Prediction Runtime::PredictVersioned(DenseMatrixView input) { return impl_->PredictBlocking(input); }
std::future<DenseMatrix> Runtime::Submit(DenseMatrixView input) {
  return impl_->Start<DenseMatrix>(input, /*copy=*/true, /*block=*/true);
}
std::future<Prediction> Runtime::SubmitVersioned(DenseMatrixView input) {
  return impl_->Start<Prediction>(input, /*copy=*/true, /*block=*/true);
}
std::future<DenseMatrix> Runtime::TrySubmit(DenseMatrixView input) {
  return impl_->Start<DenseMatrix>(input, /*copy=*/true, /*block=*/false);
}
void Runtime::Submit(DenseMatrixView input, Callback done) {
  impl_->StartWithCallback(input, std::move(done), /*block=*/true);
}
void Runtime::TrySubmit(DenseMatrixView input, Callback done) {
  impl_->StartWithCallback(input, std::move(done), /*block=*/false);
}

ReloadResult Runtime::Reload(const BundleSource& source, const std::string& version, const std::vector<float>& sample) {
  return impl_->reloader.Reload(source, version, ReloadCheck{sample, {}, ReloadCheck::kDefaultTolerance});
}

ReloadResult Runtime::Reload(const BundleSource& source, const std::string& version, const ReloadCheck& check) {
  return impl_->reloader.Reload(source, version, check);
}


void Runtime::Verify(const ReloadCheck& check) {
  const BundleInfo serving = info();
  if (std::string why = internal::CheckFits(check, serving); !why.empty()) {
    throw Error(ErrorKind::kShape, "version " + serving.version + ": " + why, {}, serving.name, serving.version);
  }
  if (check.sample.empty() || serving.input_cols <= 0) return;
  const size_t cols = static_cast<size_t>(serving.input_cols);
  Prediction p = PredictVersioned({check.sample.data(), check.sample.size() / cols, cols});
  if (std::string why = internal::CheckAnswers(p.output, check); !why.empty()) {
    throw Error(ErrorKind::kOutput, "version " + p.bundle_version + ": " + why, {}, serving.name, p.bundle_version);
  }
}

void Runtime::Watch(const WatchOptions& options) {
  std::lock_guard lock(impl_->shutdown_mu);
  if (impl_->stopped) throw Error(ErrorKind::kShutdown, "the runtime is shut down");
  if (impl_->reloader.stopped()) throw Error(ErrorKind::kShutdown, "reloads are stopped (StopReloading)");
  if (impl_->watcher) throw Error(ErrorKind::kContract, "this runtime already watches " + impl_->watcher->source());
  Impl* impl = impl_.get();
  impl_->watcher = std::make_unique<VersionWatcher>(
      options,
      [impl](const PublishedBundle& published) {
        return impl->reloader.Reload(published.source, published.version, published.check());
      },
      [impl] {
        std::lock_guard lock(impl->record.mu);
        return impl->record.info.version;
      });
}

BundleInfo Runtime::info() const {
  std::lock_guard lock(impl_->record.mu);
  return impl_->record.info;
}
size_t Runtime::workers() const { return impl_->workers.size(); }

RuntimeStats Runtime::Stats() const {
  RuntimeStats out;
  std::vector<float> all;
  for (const auto& w : impl_->workers) {
    out.workers.push_back(w->Stats());
    out.requests.Add(out.workers.back().finished);
    std::vector<float> latencies = w->Latencies();
    all.insert(all.end(), latencies.begin(), latencies.end());
  }
  out.latency = internal::Percentiles(std::move(all));
  {
    std::lock_guard lock(impl_->record.mu);
    out.reloads_ok = impl_->record.reloads_ok;
    out.reloads_failed = impl_->record.reloads_failed;
    out.last_reload_error = impl_->record.last_reload_error;
    out.rollbacks = impl_->record.rollbacks;
    out.last_rollback = impl_->record.last_rollback;
  }
  if (impl_->watcher) {
    out.watch = impl_->watcher->Stats();
    std::lock_guard lock(impl_->record.mu);
    out.watch.bad_versions = impl_->record.bad_versions;
  }
  const internal::QueueStats q = impl_->queue.Stats();
  out.queue_rows = q.rows;
  out.queue_requests = q.requests;
  out.max_queue_rows_seen = q.max_rows_seen;
  out.rejected_overloaded = q.rejected_overloaded;
  out.recomputed = q.recomputed;
  return out;
}

}  // namespace tfjs_run
