// Runtime: worker threads that each own one isolate, fed from one bounded, batching queue.
//
// Why one shared queue: any idle worker takes the oldest work, so every core stays busy without
// work stealing, and queued requests from many callers naturally form full batches. The cost
// is one mutex per hand-off, which is small next to a predict call (tens of microseconds).
#include "tfjs_run/runtime.h"

#include "version_watcher.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sched.h>
#include <time.h>
#include <v8.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <type_traits>
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
  std::string version;   // of the first chunk computed
  bool mixed = false;    // a later chunk was computed by another version
  Runtime::Callback done;  // called once, on the worker that completes the request
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

// CPU time (user + system) of the calling thread.
double ThreadCpuSeconds() {
  timespec t{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0;
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
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
    std::vector<Request*> finished;  // scratch, owned by the worker thread

    // Reload control, posted by the reloading thread, handled by this worker between batches.
    enum class Control { kNone, kPrepare, kCommit, kAbort };
    Control control = Control::kNone;      // guarded by Impl::mu
    std::promise<std::string> control_done;  // "" on success, else the error
    Clock::time_point control_posted;
    // Owned by the worker thread only.
    std::unique_ptr<Model> model, staged;
    std::string version, staged_version;
    double staged_load_ms = 0, staged_warmup_ms = 0;
  };

  // Lives on the reloading thread's stack for the length of one Reload; workers read it only
  // while that thread waits for them, so it can refer to the caller's bundle and sample.
  struct ReloadJob {
    const BundleSource& source;
    std::string version;
    const std::vector<float>& sample;
    std::shared_ptr<const std::vector<uint8_t>> code_cache;  // made by the first worker
  };

  RuntimeOptions options;
  BundleSource source;  // what the workers load at start
  BundleInfo info;
  std::vector<std::unique_ptr<Worker>> workers;

  mutable std::mutex mu;
  std::condition_variable work_cv;   // workers wait for tasks
  std::condition_variable space_cv;  // submitters wait for queue space
  std::deque<Task> queue;
  size_t queued_rows = 0;
  size_t max_queued_rows_seen = 0;
  uint64_t rejected_overloaded = 0;
  uint64_t recomputed = 0;
  bool stopping = false;
  bool stopped = false;
  std::mutex shutdown_mu;

  // Code cache shared by the workers of this start.
  std::shared_ptr<const std::vector<uint8_t>> code_cache;

  // Reloads.
  std::mutex reload_mu;  // one reload at a time
  ReloadJob* job = nullptr;  // the reload being prepared; read by workers during kPrepare
  mutable std::mutex info_mu;
  std::vector<std::string> bad_versions;
  uint64_t reloads_ok = 0, reloads_failed = 0;
  std::string last_reload_error;
  std::unique_ptr<VersionWatcher> watcher;

  // The cache file for a bundle text (V8 also checks the source and its own build on load).
  std::string CacheFile(const std::string& code) const {
    if (options.code_cache_dir.empty()) return {};
    uint64_t h = Fnv1a(code, Fnv1a(v8::V8::GetVersion()));
    char name[64];
    std::snprintf(name, sizeof(name), "%016llx.v8cache", static_cast<unsigned long long>(h));
    return (std::filesystem::path(options.code_cache_dir) / name).string();
  }

  std::shared_ptr<const std::vector<uint8_t>> LoadCacheFromDisk(const std::string& code) const {
    const std::string file = CacheFile(code);
    if (file.empty()) return nullptr;
    std::ifstream in(file, std::ios::binary);
    if (!in) return nullptr;
    auto bytes = std::make_shared<std::vector<uint8_t>>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes->empty()) return nullptr;
    return bytes;
  }

  void SaveCacheToDisk(const std::string& code, const std::vector<uint8_t>& bytes) const {
    const std::string file = CacheFile(code);
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
  std::string HandleControl(Worker& w, Worker::Control control);
  std::string Post(Worker& w, Worker::Control control);
  ReloadResult Reload(const BundleSource& source, std::string version, const std::vector<float>& sample);
  Prediction EmptyPrediction() const;
  template <typename T>
  std::future<T> Start(DenseMatrixView input, bool copy, bool block);
  void StartWithCallback(DenseMatrixView input, Runtime::Callback done, bool block);
  void RunBatch(Worker& w, std::vector<Task>& batch, std::vector<DenseMatrixView>& parts);
  // Writes one task's rows into its request. Returns true if that was its last chunk: the
  // caller then updates stats and calls Finish (in that order, so a caller that has its result
  // also sees it counted).
  bool Complete(Task& task, const DenseMatrix* output, size_t output_first_row, std::exception_ptr error,
                const std::string& version);
  static void Finish(Request& req, size_t worker) {
    req.done(Prediction{req.error ? DenseMatrix() : std::move(req.output), req.version, worker}, req.error);
  }
  void CheckShape(DenseMatrixView input) const;
  Error NamedError(ErrorKind kind, std::string message) const {
    std::lock_guard lock(info_mu);
    return Error(kind, std::move(message), {}, info.name, info.version);
  }
};

void Runtime::Impl::CheckShape(DenseMatrixView input) const {
  std::lock_guard lock(info_mu);
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
  if (stopping) throw NamedError(ErrorKind::kShutdown, "the runtime is shutting down");
  if (!fits()) {
    if (!block) {
      ++rejected_overloaded;
      throw NamedError(ErrorKind::kOverloaded,
                       "queue full (" + std::to_string(queued_rows) + " rows queued, limit " +
                           std::to_string(options.max_queue_rows) + "); request of " + std::to_string(rows) +
                           " rows refused");
    }
    space_cv.wait(lock, [&] { return stopping || fits(); });
    if (stopping) throw NamedError(ErrorKind::kShutdown, "the runtime is shutting down");
  }
  for (size_t first = 0; first < rows; first += chunk) {
    queue.push_back(Task{request, first, std::min(chunk, rows - first)});
  }
  queued_rows += rows;
  max_queued_rows_seen = std::max(max_queued_rows_seen, queued_rows);
  lock.unlock();
  if (chunks > 1) work_cv.notify_all(); else work_cv.notify_one();
}

bool Runtime::Impl::Complete(Task& task, const DenseMatrix* output, size_t output_first_row,
                             std::exception_ptr error, const std::string& version) {
  Request& req = *task.request;
  bool last = false;
  {
    std::lock_guard lock(req.mu);
    if (req.version.empty()) req.version = version;
    else if (req.version != version) req.mixed = true;
    if (error) {
      if (!req.error) req.error = error;
    } else if (!req.error) {
      if (!req.output_allocated) {
        req.output = DenseMatrix(req.input.rows(), output->cols());
        req.output_allocated = true;
      }
      if (req.output.cols() != output->cols()) {
        req.error = std::make_exception_ptr(NamedError(ErrorKind::kOutput, "chunks of one request came back with " +
                                                       std::to_string(req.output.cols()) + " and " +
                                                       std::to_string(output->cols()) + " columns"));
      } else {
        std::memcpy(req.output.row(task.first_row).data(), output->row(output_first_row).data(),
                    task.rows * output->cols() * sizeof(float));
      }
    }
    last = --req.pending_chunks == 0;
  }
  if (!last) return false;
  if (req.mixed && !req.error) {
    // Its chunks ran on both sides of a version switch: compute it again, whole, so every
    // answer comes from one version. Only requests in flight during a switch get here.
    const size_t rows = req.input.rows();
    const size_t chunk = options.chunk_rows == 0 ? rows : options.chunk_rows;
    {
      std::lock_guard lock(req.mu);
      req.pending_chunks = (rows + chunk - 1) / chunk;
      req.version.clear();
      req.mixed = false;
      req.output_allocated = false;
    }
    {
      std::lock_guard lock(mu);
      queued_rows += rows;  // taken again by workers like any queued rows
      ++recomputed;
      for (size_t first = rows; first > 0;) {  // at the front, in order: it has waited long enough
        size_t n = first % chunk ? first % chunk : chunk;
        first -= n;
        queue.push_front(Task{task.request, first, n});
      }
    }
    work_cv.notify_all();
    return false;
  }
  return true;  // the request is complete: exactly one worker gets here, once
}

void Runtime::Impl::RunBatch(Worker& w, std::vector<Task>& batch, std::vector<DenseMatrixView>& parts) {
  Model& model = *w.model;
  size_t rows = 0;
  parts.clear();
  for (const Task& t : batch) {
    rows += t.rows;
    parts.push_back(t.request->input.slice_rows(t.first_row, t.rows));  // Model copies them once, into JS
  }
  const auto start = Clock::now();
  DenseMatrix output;
  std::exception_ptr error;
  try {
    output = model.Predict(parts);
  } catch (...) {
    error = std::current_exception();
  }
  const auto end = Clock::now();
  {
    std::lock_guard lock(w.stats_mu);
    ++w.stats.batches;
    w.stats.rows += rows;
    w.stats.busy_seconds += std::chrono::duration<double>(end - start).count();
    w.stats.cpu_seconds = ThreadCpuSeconds();
    if (error) ++w.stats.failed_batches;
  }
  if (error && batch.size() > 1) {
    // One request's rows made the batch fail: run each request alone, so only the requests that
    // fail on their own get the error and the others still get their results.
    for (Task& t : batch) {
      std::vector<Task> single{t};
      RunBatch(w, single, parts);
    }
    return;
  }
  size_t at = 0;
  w.finished.clear();
  for (Task& t : batch) {
    if (Complete(t, error ? nullptr : &output, at, error, w.version)) w.finished.push_back(t.request.get());
    at += t.rows;
  }
  {
    std::lock_guard lock(w.stats_mu);  // once per batch, not per request
    w.stats.requests += batch.size();
    for (Request* req : w.finished) {
      const float us = std::chrono::duration<float, std::micro>(end - req->submitted).count();
      if (w.latencies.size() < kLatencyWindow) w.latencies.push_back(us);
      else w.latencies[w.latency_next] = us;
      w.latency_next = (w.latency_next + 1) % kLatencyWindow;
    }
  }
  for (Request* req : w.finished) Finish(*req, w.index);  // batch (and its shared_ptrs) outlives this loop
}

namespace {
// Lowers this thread's scheduling priority (nice) for its lifetime and restores it after, if
// the process is allowed to (raising priority back needs CAP_SYS_NICE or RLIMIT_NICE room;
// when it is not allowed, the priority is not lowered at all).
class LowerPriorityWhileLoading {
 public:
  explicit LowerPriorityWhileLoading(int nice) {
    if (nice <= 0) return;
    tid_ = static_cast<pid_t>(::syscall(SYS_gettid));
    errno = 0;
    before_ = ::getpriority(PRIO_PROCESS, tid_);
    if (errno != 0) return;
    // Only if we could undo it: try the restore first (a no-op at the current value).
    if (::setpriority(PRIO_PROCESS, tid_, before_) != 0) return;
    struct rlimit limit {};
    const bool can_restore = ::geteuid() == 0 ||
                             (::getrlimit(RLIMIT_NICE, &limit) == 0 && 20 - static_cast<int>(limit.rlim_cur) <= before_);
    if (can_restore && ::setpriority(PRIO_PROCESS, tid_, std::min(19, before_ + nice)) == 0) lowered_ = true;
  }
  ~LowerPriorityWhileLoading() {
    if (lowered_) ::setpriority(PRIO_PROCESS, tid_, before_);
  }

 private:
  pid_t tid_ = 0;
  int before_ = 0;
  bool lowered_ = false;
};

// The warm-up input: the given sample (from the manifest or a push), else the bundle's declared
// sampleInput, else one row of zeros. Returns false if the bundle's width is unknown (legacy).
bool WarmUpInput(const Model& model, const std::vector<float>& sample, std::vector<float>& out, size_t& rows) {
  const int64_t cols = model.info().input_cols;
  if (cols <= 0) return false;
  const std::vector<float>& declared = model.info().sample_input;
  if (!sample.empty() && sample.size() % static_cast<size_t>(cols) == 0) {
    out = sample;
    rows = sample.size() / static_cast<size_t>(cols);
  } else if (!declared.empty()) {
    out = declared;
    rows = declared.size() / static_cast<size_t>(cols);
  } else {
    out.assign(static_cast<size_t>(cols), 0.0f);
    rows = 1;
  }
  return model.info().max_rows < 0 || static_cast<size_t>(model.info().max_rows) == rows;
}
}  // namespace

std::string Runtime::Impl::HandleControl(Worker& w, Worker::Control control) {
  switch (control) {
    case Worker::Control::kPrepare: {
      ReloadJob& j = *job;
      // Loading competes for CPU with the workers still serving: yield to them while it runs.
      LowerPriorityWhileLoading lower(options.reload_nice);
      try {
        ModelOptions model_options = options.model;
        model_options.code_cache = j.code_cache;
        auto staged = Model::Load(j.source, model_options);
        const std::string version = j.version.empty() ? staged->info().version : j.version;
        if (w.model && w.model->info().input_cols != staged->info().input_cols) {
          return "version " + version + " takes " + std::to_string(staged->info().input_cols) +
                 " columns, the running version " + std::to_string(w.model->info().input_cols) +
                 ": a change of input width needs a new runtime";
        }
        w.staged_load_ms = staged->load_ms();
        const auto warm_start = Clock::now();
        std::vector<float> input;
        size_t rows = 0;
        if (WarmUpInput(*staged, j.sample, input, rows)) {
          DenseMatrix out = staged->Predict({input.data(), rows, input.size() / rows});
          for (float v : out.values()) {
            if (std::isnan(v)) return "version " + version + ": the warm-up predict returned NaN";
          }
        }
        w.staged_warmup_ms = std::chrono::duration<double, std::milli>(Clock::now() - warm_start).count();
        if (!j.code_cache || !staged->code_cache_accepted()) {
          j.code_cache = std::make_shared<std::vector<uint8_t>>(staged->CreateCodeCache());
        }
        w.staged = std::move(staged);
        w.staged_version = version;
        return {};
      } catch (const Error& e) {
        return std::string(e.what());
      } catch (const std::exception& e) {
        return std::string("version ") + j.version + ": " + e.what();
      }
    }
    case Worker::Control::kCommit: {
      auto old = std::move(w.model);
      w.model = std::move(w.staged);  // the swap: the next batch runs on the new version
      w.version = w.staged_version;
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - w.control_posted).count();
      {
        std::lock_guard lock(w.stats_mu);
        w.stats.version = w.version;
        w.stats.last_switch_ms = ms;
        ++w.stats.switches;
        w.stats.load_ms = w.model->load_ms();
        w.stats.code_cache_accepted = w.model->code_cache_accepted();
      }
      old.reset();  // dispose the old isolate on its own thread
      return {};
    }
    case Worker::Control::kAbort:
      w.staged.reset();
      return {};
    case Worker::Control::kNone:
      break;
  }
  return {};
}

// Posts a control message to one worker and waits for it to be handled between batches.
std::string Runtime::Impl::Post(Worker& w, Worker::Control control) {
  std::future<std::string> done;
  {
    std::lock_guard lock(mu);
    if (stopping || !w.thread.joinable()) return "the runtime is shutting down";
    w.control_done = std::promise<std::string>();
    done = w.control_done.get_future();
    w.control = control;
    w.control_posted = Clock::now();
  }
  work_cv.notify_all();
  return done.get();
}

void Runtime::Impl::WorkerMain(Worker& w, std::promise<void>& loaded, bool make_cache) {
  // Named for thread dumps (a JVM shows attached workers under this name).
  pthread_setname_np(pthread_self(), ("tfjs-run-w" + std::to_string(w.index)).substr(0, 15).c_str());
  if (w.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(w.cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) w.cpu = -1;
  }
  try {
    ModelOptions model_options = options.model;
    model_options.code_cache = code_cache;
    w.model = Model::Load(source, model_options);
    w.version = w.model->info().version;
    if (make_cache && !w.model->code_cache_accepted()) {
      // Compile what predict uses before serialising, so later loads skip that too.
      std::vector<float> input;
      size_t rows = 0;
      if (WarmUpInput(*w.model, {}, input, rows)) {
        try { w.model->Predict({input.data(), rows, input.size() / rows}); } catch (const Error&) {}
      }
      auto bytes = std::make_shared<std::vector<uint8_t>>(w.model->CreateCodeCache());
      SaveCacheToDisk(source.code, *bytes);
      code_cache = std::move(bytes);
    }
    if (w.index == 0) {
      std::lock_guard lock(info_mu);
      info = w.model->info();
    }
    std::lock_guard lock(w.stats_mu);
    w.stats.load_ms = w.model->load_ms();
    w.stats.code_cache_accepted = w.model->code_cache_accepted();
    w.stats.version = w.version;
  } catch (...) {
    loaded.set_exception(std::current_exception());
    return;
  }
  loaded.set_value();

  std::vector<Task> batch;
  std::vector<DenseMatrixView> parts;  // reused by every batch
  const size_t max_rows = std::max<size_t>(1, options.max_batch_rows);
  for (;;) {
    batch.clear();
    size_t rows = 0;
    Worker::Control control = Worker::Control::kNone;
    {
      std::unique_lock lock(mu);
      work_cv.wait(lock, [&] { return !queue.empty() || stopping || w.control != Worker::Control::kNone; });
      if (w.control != Worker::Control::kNone) {
        control = w.control;
        w.control = Worker::Control::kNone;
      } else if (queue.empty()) {
        break;  // stopping, and everything accepted is done or taken
      } else {
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
    }
    if (control != Worker::Control::kNone) {
      w.control_done.set_value(HandleControl(w, control));
      continue;
    }
    space_cv.notify_all();
    RunBatch(w, batch, parts);
  }
  w.staged.reset();
  w.model.reset();  // the isolate is disposed on the thread that owns it
}

ReloadResult Runtime::Impl::Reload(const BundleSource& new_source, std::string version, const std::vector<float>& sample) {
  std::lock_guard reload_lock(reload_mu);
  const auto start = Clock::now();
  ReloadResult result;
  result.version = version;
  auto fail = [&](std::string why) {
    result.ok = false;
    result.error = std::move(why);
    std::lock_guard lock(info_mu);
    ++reloads_failed;
    last_reload_error = result.error;
    if (!version.empty() && std::find(bad_versions.begin(), bad_versions.end(), version) == bad_versions.end()) {
      bad_versions.push_back(version);
    }
    return result;
  };
  {
    std::lock_guard lock(info_mu);
    if (!version.empty() && std::find(bad_versions.begin(), bad_versions.end(), version) != bad_versions.end()) {
      result.error = "version " + version + " is marked bad (it failed to load or warm up before)";
      return result;
    }
  }
  ReloadJob j{new_source, version, sample, options.use_code_cache ? LoadCacheFromDisk(new_source.code) : nullptr};
  const auto disk_cache = j.code_cache;
  job = &j;
  // Prepare on one worker at a time, so the others keep serving at full speed.
  for (size_t i = 0; i < workers.size(); ++i) {
    std::string error = Post(*workers[i], Worker::Control::kPrepare);
    result.worker_load_ms.push_back(workers[i]->staged_load_ms);  // written before the post returned
    result.worker_warmup_ms.push_back(workers[i]->staged_warmup_ms);
    if (!error.empty()) {
      for (size_t k = 0; k < i; ++k) Post(*workers[k], Worker::Control::kAbort);
      job = nullptr;
      return fail("reload to version " + (version.empty() ? std::string("(from the bundle)") : version) +
                  " failed on worker " + std::to_string(i) + ", nothing switched: " + error);
    }
    if (i == 0 && version.empty()) version = j.version = workers[0]->staged_version;
  }
  job = nullptr;
  result.version = version;
  // A cache made by this reload (none on disk, or V8 rejected it) is kept for the next start.
  if (options.use_code_cache && j.code_cache && j.code_cache != disk_cache) SaveCacheToDisk(new_source.code, *j.code_cache);
  for (auto& w : workers) {
    Post(*w, Worker::Control::kCommit);
    std::lock_guard lock(w->stats_mu);
    result.worker_switch_ms.push_back(w->stats.last_switch_ms);
  }
  {
    std::lock_guard lock(info_mu);
    ++reloads_ok;
    BundleInfo next = workers[0]->model ? workers[0]->model->info() : info;
    next.version = version;
    info = next;
  }
  result.ok = true;
  result.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return result;
}

std::unique_ptr<Runtime> Runtime::Start(const BundleSource& source, const RuntimeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->source = source;
  const std::vector<int> cpus = AllowedCpus();
  const size_t n = options.workers > 0 ? options.workers : cpus.size();
  const bool pin = options.pinning == RuntimeOptions::Pinning::kAlways ||
                   (options.pinning == RuntimeOptions::Pinning::kAuto && n >= cpus.size());
  if (options.use_code_cache) impl->code_cache = impl->LoadCacheFromDisk(source.code);
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
  if (impl_->watcher) impl_->watcher->Stop();  // no reload starts after this
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
  std::lock_guard lock(info_mu);
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
  Enqueue(std::move(request), block);
  return future;
}

DenseMatrix Runtime::Predict(DenseMatrixView input) {
  return impl_->Start<DenseMatrix>(input, /*copy=*/false, /*block=*/true).get();
}
Prediction Runtime::PredictVersioned(DenseMatrixView input) {
  return impl_->Start<Prediction>(input, /*copy=*/false, /*block=*/true).get();
}
std::future<DenseMatrix> Runtime::Submit(DenseMatrixView input) {
  return impl_->Start<DenseMatrix>(input, /*copy=*/true, /*block=*/true);
}
std::future<Prediction> Runtime::SubmitVersioned(DenseMatrixView input) {
  return impl_->Start<Prediction>(input, /*copy=*/true, /*block=*/true);
}
std::future<DenseMatrix> Runtime::TrySubmit(DenseMatrixView input) {
  return impl_->Start<DenseMatrix>(input, /*copy=*/true, /*block=*/false);
}

void Runtime::Impl::StartWithCallback(DenseMatrixView input, Callback done, bool block) {
  CheckShape(input);
  if (input.rows() == 0) {
    done(EmptyPrediction(), nullptr);
    return;
  }
  auto request = NewRequest(input, /*copy=*/true);
  request->done = std::move(done);
  Enqueue(std::move(request), block);
}

void Runtime::Submit(DenseMatrixView input, Callback done) {
  impl_->StartWithCallback(input, std::move(done), /*block=*/true);
}
void Runtime::TrySubmit(DenseMatrixView input, Callback done) {
  impl_->StartWithCallback(input, std::move(done), /*block=*/false);
}

ReloadResult Runtime::Reload(const BundleSource& source, const std::string& version, const std::vector<float>& sample) {
  return impl_->Reload(source, version, sample);
}

ReloadResult Runtime::ReloadFromFile(const std::string& path, const std::string& version) {
  try {
    return impl_->Reload(BundleSource::FromFile(path), version, {});
  } catch (const Error& e) {
    ReloadResult r;
    r.version = version;
    r.error = e.what();
    return r;
  }
}

void Runtime::Watch(const WatchOptions& options) {
  std::lock_guard lock(impl_->shutdown_mu);
  if (impl_->stopped) throw Error(ErrorKind::kShutdown, "the runtime is shut down");
  if (impl_->watcher) throw Error(ErrorKind::kContract, "this runtime already watches " + impl_->watcher->source());
  Impl* impl = impl_.get();
  impl_->watcher = std::make_unique<VersionWatcher>(
      options,
      [impl](const PublishedBundle& published) {
        return impl->Reload(published.source, published.version, published.sample_input);
      },
      [impl] {
        std::lock_guard lock(impl->info_mu);
        return impl->info.version;
      });
}

BundleInfo Runtime::info() const {
  std::lock_guard lock(impl_->info_mu);
  return impl_->info;
}
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
  {
    std::lock_guard lock(impl_->info_mu);
    out.reloads_ok = impl_->reloads_ok;
    out.reloads_failed = impl_->reloads_failed;
    out.last_reload_error = impl_->last_reload_error;
  }
  if (impl_->watcher) {
    out.watch = impl_->watcher->Stats();
    std::lock_guard lock(impl_->info_mu);
    out.watch.bad_versions = impl_->bad_versions;
  }
  std::lock_guard lock(impl_->mu);
  out.queue_rows = impl_->queued_rows;
  out.queue_requests = impl_->queue.size();
  out.max_queue_rows_seen = impl_->max_queued_rows_seen;
  out.rejected_overloaded = impl_->rejected_overloaded;
  out.recomputed = impl_->recomputed;
  return out;
}

}  // namespace tfjs_run
