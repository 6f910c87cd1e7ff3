// Runtime: worker threads that each own one isolate, fed from one bounded, batching queue.
//
// Why one shared queue: any idle worker takes the oldest work, so every core stays busy without
// work stealing, and queued requests from many callers naturally form full batches. The cost
// is one mutex per hand-off, which is small next to a predict call (tens of microseconds).
#include "tfjs_run/runtime.h"

#include <pthread.h>
#include <sched.h>
#include <v8.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace tfjs_run {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kLatencyWindow = 8192;

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
  std::promise<DenseMatrix> promise;
  Runtime::Callback callback;  // if set, used instead of promise
};

struct Task {
  std::shared_ptr<Request> request;
  size_t first_row = 0;
  size_t rows = 0;
};

LatencyStats Percentiles(std::vector<float> v) {
  LatencyStats out;
  if (v.empty()) return out;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return static_cast<double>(v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]); };
  out.p50_us = at(0.50);
  out.p90_us = at(0.90);
  out.p99_us = at(0.99);
  out.max_us = v.back();
  return out;
}

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

uint64_t Fnv1a(std::string_view text, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

struct Runtime::Impl {
  struct Worker {
    size_t index = 0;
    int cpu = -1;
    std::thread thread;
    mutable std::mutex stats_mu;
    WorkerStats stats;
    std::vector<float> latencies;  // ring buffer, microseconds
    size_t latency_next = 0;
    std::vector<float> batch_latencies;  // scratch, owned by the worker thread
  };

  RuntimeOptions options;
  BundleSource source;
  BundleInfo info;
  std::vector<std::unique_ptr<Worker>> workers;

  mutable std::mutex mu;
  std::condition_variable work_cv;   // workers wait for tasks
  std::condition_variable space_cv;  // submitters wait for queue space
  std::deque<Task> queue;
  size_t queued_rows = 0;
  size_t max_queued_rows_seen = 0;
  uint64_t rejected_overloaded = 0;
  bool stopping = false;
  bool stopped = false;
  std::mutex shutdown_mu;

  // Code cache shared by the workers of this start.
  std::shared_ptr<const std::vector<uint8_t>> code_cache;

  std::string CacheFile() const {
    if (options.code_cache_dir.empty()) return {};
    uint64_t h = Fnv1a(source.code, Fnv1a(v8::V8::GetVersion()));
    char name[64];
    std::snprintf(name, sizeof(name), "%016llx.v8cache", static_cast<unsigned long long>(h));
    return (std::filesystem::path(options.code_cache_dir) / name).string();
  }

  void LoadCacheFromDisk() {
    const std::string file = CacheFile();
    if (file.empty()) return;
    std::ifstream in(file, std::ios::binary);
    if (!in) return;
    auto bytes = std::make_shared<std::vector<uint8_t>>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!bytes->empty()) code_cache = std::move(bytes);
  }

  void SaveCacheToDisk(const std::vector<uint8_t>& bytes) const {
    const std::string file = CacheFile();
    if (file.empty() || bytes.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(options.code_cache_dir, ec);
    const std::string tmp = file + ".tmp." + std::to_string(::getpid());
    {
      std::ofstream out(tmp, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      if (!out) return;
    }
    std::filesystem::rename(tmp, file, ec);  // atomic: readers see the old file or the new one
  }

  void Enqueue(std::shared_ptr<Request> request, bool block);
  void WorkerMain(Worker& w, std::promise<void>& loaded, bool make_cache);
  void RunBatch(Worker& w, Model& model, std::vector<Task>& batch, std::vector<float>& buffer);
  // Writes one task's rows into its request; fulfils the request if it was the last chunk and
  // then returns its latency in microseconds (else -1).
  float Complete(Task& task, const DenseMatrix* output, size_t output_first_row, std::exception_ptr error,
                 Clock::time_point now);
  void CheckShape(DenseMatrixView input) const;
};

void Runtime::Impl::CheckShape(DenseMatrixView input) const {
  if (info.input_cols >= 0 && static_cast<int64_t>(input.cols()) != info.input_cols) {
    throw Error(ErrorKind::kShape, "input has " + std::to_string(input.cols()) + " columns; the bundle expects " +
                                       std::to_string(info.input_cols), {}, info.name, info.version);
  }
  if (info.max_rows >= 0) {
    throw Error(ErrorKind::kShape, "the bundle's inputShape fixes the row count; the Runtime batches rows "
                                   "and cannot serve it (use Model)", {}, info.name, info.version);
  }
}

void Runtime::Impl::Enqueue(std::shared_ptr<Request> request, bool block) {
  const size_t rows = request->input.rows();
  const size_t chunk = options.chunk_rows == 0 ? rows : options.chunk_rows;
  const size_t chunks = (rows + chunk - 1) / chunk;
  request->pending_chunks = chunks;  // workers decrement it once queued: read the local after
  request->submitted = Clock::now();
  std::unique_lock lock(mu);
  auto fits = [&] { return queued_rows == 0 || queued_rows + rows <= options.max_queue_rows; };
  if (stopping) throw Error(ErrorKind::kShutdown, "the runtime is shutting down", {}, info.name, info.version);
  if (!fits()) {
    if (!block) {
      ++rejected_overloaded;
      throw Error(ErrorKind::kOverloaded,
                  "queue full (" + std::to_string(queued_rows) + " rows queued, limit " +
                      std::to_string(options.max_queue_rows) + "); request of " + std::to_string(rows) + " rows refused",
                  {}, info.name, info.version);
    }
    space_cv.wait(lock, [&] { return stopping || fits(); });
    if (stopping) throw Error(ErrorKind::kShutdown, "the runtime is shutting down", {}, info.name, info.version);
  }
  for (size_t first = 0; first < rows; first += chunk) {
    queue.push_back(Task{request, first, std::min(chunk, rows - first)});
  }
  queued_rows += rows;
  max_queued_rows_seen = std::max(max_queued_rows_seen, queued_rows);
  lock.unlock();
  if (chunks > 1) work_cv.notify_all(); else work_cv.notify_one();
}

float Runtime::Impl::Complete(Task& task, const DenseMatrix* output, size_t output_first_row,
                              std::exception_ptr error, Clock::time_point now) {
  Request& req = *task.request;
  bool last = false;
  {
    std::lock_guard lock(req.mu);
    if (error) {
      if (!req.error) req.error = error;
    } else if (!req.error) {
      if (!req.output_allocated) {
        req.output = DenseMatrix(req.input.rows(), output->cols());
        req.output_allocated = true;
      }
      if (req.output.cols() != output->cols()) {
        req.error = std::make_exception_ptr(Error(ErrorKind::kOutput, "chunks of one request came back with " +
                                                  std::to_string(req.output.cols()) + " and " +
                                                  std::to_string(output->cols()) + " columns", {}, info.name, info.version));
      } else {
        std::memcpy(req.output.row(task.first_row).data(), output->row(output_first_row).data(),
                    task.rows * output->cols() * sizeof(float));
      }
    }
    last = --req.pending_chunks == 0;
  }
  if (!last) return -1;
  const float latency_us = std::chrono::duration<float, std::micro>(now - req.submitted).count();
  // The request is complete: exactly one worker gets here, once.
  if (req.callback) {
    req.callback(req.error ? DenseMatrix() : std::move(req.output), req.error);
  } else if (req.error) {
    req.promise.set_exception(req.error);
  } else {
    req.promise.set_value(std::move(req.output));
  }
  return latency_us;
}

void Runtime::Impl::RunBatch(Worker& w, Model& model, std::vector<Task>& batch, std::vector<float>& buffer) {
  size_t rows = 0;
  for (const Task& t : batch) rows += t.rows;
  const size_t cols = batch.front().request->input.cols();
  DenseMatrixView input;
  if (batch.size() == 1) {
    input = batch.front().request->input.slice_rows(batch.front().first_row, batch.front().rows);  // no copy
  } else {
    buffer.resize(rows * cols);
    float* out = buffer.data();
    for (const Task& t : batch) {
      const size_t n = t.rows * cols;
      std::memcpy(out, t.request->input.row(t.first_row).data(), n * sizeof(float));
      out += n;
    }
    input = DenseMatrixView(buffer.data(), rows, cols);
  }
  const auto start = Clock::now();
  DenseMatrix output;
  std::exception_ptr error;
  try {
    output = model.Predict(input);
  } catch (...) {
    error = std::current_exception();
  }
  const auto end = Clock::now();
  {
    std::lock_guard lock(w.stats_mu);
    ++w.stats.batches;
    w.stats.rows += rows;
    w.stats.busy_seconds += std::chrono::duration<double>(end - start).count();
    if (error) ++w.stats.failed_batches;
  }
  if (error && batch.size() > 1) {
    // One request's rows made the batch fail: run each request alone, so only the requests that
    // fail on their own get the error and the others still get their results.
    for (Task& t : batch) {
      std::vector<Task> single{t};
      RunBatch(w, model, single, buffer);
    }
    return;
  }
  size_t at = 0;
  w.batch_latencies.clear();
  for (Task& t : batch) {
    float us = Complete(t, error ? nullptr : &output, at, error, end);
    if (us >= 0) w.batch_latencies.push_back(us);
    at += t.rows;
  }
  std::lock_guard lock(w.stats_mu);  // once per batch, not per request
  w.stats.requests += batch.size();
  for (float us : w.batch_latencies) {
    if (w.latencies.size() < kLatencyWindow) w.latencies.push_back(us);
    else w.latencies[w.latency_next] = us;
    w.latency_next = (w.latency_next + 1) % kLatencyWindow;
  }
}

void Runtime::Impl::WorkerMain(Worker& w, std::promise<void>& loaded, bool make_cache) {
  if (w.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(w.cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) w.cpu = -1;
  }
  std::unique_ptr<Model> model;
  try {
    ModelOptions model_options = options.model;
    model_options.code_cache = code_cache;
    model = Model::Load(source, model_options);
    if (make_cache && !model->code_cache_accepted()) {
      // Compile what predict uses before serialising, so later loads skip that too.
      if (model->info().input_cols > 0 && model->info().max_rows < 0) {
        std::vector<float> zeros(static_cast<size_t>(model->info().input_cols), 0.0f);
        try { model->Predict({zeros.data(), 1, zeros.size()}); } catch (const Error&) {}
      }
      auto bytes = std::make_shared<std::vector<uint8_t>>(model->CreateCodeCache());
      SaveCacheToDisk(*bytes);
      code_cache = std::move(bytes);
    }
    if (w.index == 0) info = model->info();
    std::lock_guard lock(w.stats_mu);
    w.stats.load_ms = model->load_ms();
    w.stats.code_cache_accepted = model->code_cache_accepted();
  } catch (...) {
    loaded.set_exception(std::current_exception());
    return;
  }
  loaded.set_value();

  std::vector<Task> batch;
  std::vector<float> buffer;
  const size_t max_rows = std::max<size_t>(1, options.max_batch_rows);
  for (;;) {
    batch.clear();
    size_t rows = 0;
    {
      std::unique_lock lock(mu);
      work_cv.wait(lock, [&] { return !queue.empty() || stopping; });
      if (queue.empty()) break;  // stopping, and everything accepted is done or taken
      auto take = [&] {
        while (!queue.empty() && (batch.empty() || rows + queue.front().rows <= max_rows)) {
          rows += queue.front().rows;
          queued_rows -= queue.front().rows;
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
      };
      take();
      if (rows < max_rows && options.max_batch_delay.count() > 0 && !stopping) {
        const auto deadline = Clock::now() + options.max_batch_delay;
        while (rows < max_rows && !stopping) {
          if (!work_cv.wait_until(lock, deadline, [&] { return !queue.empty() || stopping; })) break;
          size_t before = rows;
          take();
          if (rows == before) break;  // the next request does not fit in this batch
        }
      }
    }
    space_cv.notify_all();
    RunBatch(w, *model, batch, buffer);
  }
  model.reset();  // the isolate is disposed on the thread that owns it
}

std::unique_ptr<Runtime> Runtime::Start(const BundleSource& source, const RuntimeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->source = source;
  const std::vector<int> cpus = AllowedCpus();
  const size_t n = options.workers > 0 ? options.workers : cpus.size();
  const bool pin = options.pinning == RuntimeOptions::Pinning::kAlways ||
                   (options.pinning == RuntimeOptions::Pinning::kAuto && n >= cpus.size());
  if (options.use_code_cache) impl->LoadCacheFromDisk();
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Impl::Worker>();
    w->index = i;
    w->cpu = pin ? cpus[i % cpus.size()] : -1;
    w->stats.worker = i;
    impl->workers.push_back(std::move(w));
  }
  // Worker 0 loads first and leaves a code cache (unless one from disk was accepted); the
  // others then load in parallel from it.
  std::vector<std::promise<void>> loaded(n);
  std::exception_ptr failure;
  Impl* raw = impl.get();
  auto start_worker = [&](size_t i, bool make_cache) {
    raw->workers[i]->thread = std::thread([raw, i, make_cache, &loaded] { raw->WorkerMain(*raw->workers[i], loaded[i], make_cache); });
  };
  start_worker(0, options.use_code_cache);
  try {
    loaded[0].get_future().get();
  } catch (...) {
    failure = std::current_exception();
  }
  if (!failure) {
    std::vector<std::future<void>> rest;
    for (size_t i = 1; i < n; ++i) {
      rest.push_back(loaded[i].get_future());
      start_worker(i, false);
    }
    for (auto& f : rest) {
      try { f.get(); } catch (...) { if (!failure) failure = std::current_exception(); }
    }
  }
  for (auto& w : impl->workers) w->stats.cpu = w->cpu;
  std::unique_ptr<Runtime> runtime(new Runtime(std::move(impl)));
  if (failure) {
    runtime->Shutdown();
    std::rethrow_exception(failure);
  }
  return runtime;
}

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Runtime::~Runtime() { Shutdown(); }

void Runtime::Shutdown() {
  std::lock_guard shutdown_lock(impl_->shutdown_mu);
  if (impl_->stopped) return;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->work_cv.notify_all();
  impl_->space_cv.notify_all();
  for (auto& w : impl_->workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  impl_->stopped = true;
}

DenseMatrix Runtime::Predict(DenseMatrixView input) {
  impl_->CheckShape(input);
  if (input.rows() == 0) return DenseMatrix(0, impl_->info.output_cols > 0 ? impl_->info.output_cols : 0);
  auto request = std::make_shared<Request>();
  request->input = input;  // the caller waits, so its memory stays valid
  auto future = request->promise.get_future();
  impl_->Enqueue(std::move(request), /*block=*/true);
  return future.get();
}

namespace {
std::shared_ptr<Request> CopyingRequest(DenseMatrixView input) {
  auto request = std::make_shared<Request>();
  request->owned_input.assign(input.data(), input.data() + input.size());
  request->input = DenseMatrixView(request->owned_input.data(), input.rows(), input.cols());
  return request;
}

std::future<DenseMatrix> Ready(DenseMatrix m) {
  std::promise<DenseMatrix> p;
  p.set_value(std::move(m));
  return p.get_future();
}
}  // namespace

std::future<DenseMatrix> Runtime::Submit(DenseMatrixView input) {
  impl_->CheckShape(input);
  if (input.rows() == 0) return Ready(DenseMatrix(0, impl_->info.output_cols > 0 ? impl_->info.output_cols : 0));
  auto request = CopyingRequest(input);
  auto future = request->promise.get_future();
  impl_->Enqueue(std::move(request), /*block=*/true);
  return future;
}

void Runtime::Submit(DenseMatrixView input, Callback done) {
  impl_->CheckShape(input);
  if (input.rows() == 0) {
    done(DenseMatrix(0, impl_->info.output_cols > 0 ? impl_->info.output_cols : 0), nullptr);
    return;
  }
  auto request = CopyingRequest(input);
  request->callback = std::move(done);
  impl_->Enqueue(std::move(request), /*block=*/true);
}

std::future<DenseMatrix> Runtime::TrySubmit(DenseMatrixView input) {
  impl_->CheckShape(input);
  if (input.rows() == 0) return Ready(DenseMatrix(0, impl_->info.output_cols > 0 ? impl_->info.output_cols : 0));
  auto request = CopyingRequest(input);
  auto future = request->promise.get_future();
  impl_->Enqueue(std::move(request), /*block=*/false);
  return future;
}

const BundleInfo& Runtime::info() const { return impl_->info; }
size_t Runtime::workers() const { return impl_->workers.size(); }

RuntimeStats Runtime::Stats() const {
  RuntimeStats out;
  std::vector<float> all;
  for (const auto& w : impl_->workers) {
    std::lock_guard lock(w->stats_mu);
    WorkerStats s = w->stats;
    s.mean_batch_rows = s.batches ? static_cast<double>(s.rows) / static_cast<double>(s.batches) : 0;
    s.latency = Percentiles(w->latencies);
    all.insert(all.end(), w->latencies.begin(), w->latencies.end());
    out.workers.push_back(s);
  }
  out.latency = Percentiles(std::move(all));
  std::lock_guard lock(impl_->mu);
  out.queue_rows = impl_->queued_rows;
  out.queue_requests = impl_->queue.size();
  out.max_queue_rows_seen = impl_->max_queued_rows_seen;
  out.rejected_overloaded = impl_->rejected_overloaded;
  return out;
}

}  // namespace tfjs_run
