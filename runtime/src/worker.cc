#include "worker.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cstdio>

#include "log_version.h"

namespace tfjs_run::internal {
namespace {

constexpr size_t kLatencyWindow = 8192;

// CPU time (user + system) of the calling thread.
double ThreadCpuSeconds() {
  timespec t{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0;
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

}  // namespace

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

Worker::Worker(size_t index, int cpu, const RuntimeOptions& options, RequestQueue& queue, GraceWindow& grace,
               ControlHandler on_control)
    : index(index), cpu_(cpu), options_(options), queue_(queue), grace_(grace), on_control_(std::move(on_control)) {
  stats_.worker = index;
  stats_.cpu = cpu;
}

Worker::~Worker() { Join(); }

void Worker::Start(std::function<void(Worker&)> load, std::promise<void>& loaded) {
  thread_ = std::thread([this, load = std::move(load), &loaded] { Main(load, loaded); });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

std::string Worker::Post(Control control) {
  std::future<std::string> done;
  const bool posted = queue_.SignalUnlessStopped([&] {
    control_done_ = std::promise<std::string>();
    done = control_done_.get_future();
    control_ = control;
    control_posted_ = Clock::now();
  });
  if (!posted) return "the runtime is shutting down";
  return done.get();
}

double Worker::MillisecondsSincePost() const {
  return std::chrono::duration<double, std::milli>(Clock::now() - control_posted_).count();
}

WorkerStats Worker::Stats() const {
  std::lock_guard lock(stats_mu_);
  WorkerStats s = stats_;
  s.mean_batch_rows = s.batches ? static_cast<double>(s.rows) / static_cast<double>(s.batches) : 0;
  s.latency = Percentiles(latencies_);
  return s;
}

std::vector<float> Worker::Latencies() const {
  std::lock_guard lock(stats_mu_);
  return latencies_;
}

void Worker::UpdateStats(const std::function<void(WorkerStats&)>& f) {
  std::lock_guard lock(stats_mu_);
  f(stats_);
}

void Worker::Main(const std::function<void(Worker&)>& load, std::promise<void>& loaded) {
  // Named for thread dumps (a JVM shows attached workers under this name).
  pthread_setname_np(pthread_self(), ("tfjs-run-w" + std::to_string(index)).substr(0, 15).c_str());
  if (cpu_ >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu_, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
      cpu_ = -1;
      UpdateStats([](WorkerStats& s) { s.cpu = -1; });
    }
  }
  try {
    load(*this);
    UpdateStats([&](WorkerStats& s) {
      s.load_ms = model->load_ms();
      s.warmup_ms = start_warmup_ms;
      s.code_cache_accepted = model->code_cache_accepted();
      s.version = version;
    });
  } catch (...) {
    loaded.set_exception(std::current_exception());
    return;
  }
  loaded.set_value();

  std::vector<Task> batch;
  std::vector<DenseMatrixView> parts;  // reused by every batch
  const size_t max_rows = std::max<size_t>(1, options_.max_batch_rows);
  Control control = Control::kNone;
  auto take_control = [&] {  // under the queue's lock
    if (control_ == Control::kNone) return false;
    control = control_;
    control_ = Control::kNone;
    return true;
  };
  for (;;) {
    batch.clear();
    const RequestQueue::Taken taken = queue_.Take(batch, max_rows, options_.max_batch_delay, take_control, options_.spin);
    if (taken == RequestQueue::Taken::kDrained) break;
    if (taken == RequestQueue::Taken::kInterrupted) {
      control_done_.set_value(on_control_(*this, control));
      continue;
    }
    if (previous.source) TendGraceWindow();
    RunBatch(batch, parts, /*retry=*/true);
  }
  previous = {};
  staged.reset();
  model.reset();  // the isolate is disposed on the thread that owns it
}

std::unique_ptr<Model> Worker::LoadAgain(const BundleSource& from,
                                         std::shared_ptr<const std::vector<uint8_t>> cache) const {
  ModelOptions model_options = options_.model;
  model_options.code_cache = std::move(cache);
  return Model::Load(from, model_options);
}

// Through the runtime's log sink (ModelOptions::log: a JVM's logging, the CLI's --log-level),
// else stderr.
void Worker::Log(LogLevel level, const std::string& text) const {
  const std::string line = "worker " + std::to_string(index) + ": " + text;
  if (options_.model.log) {
    options_.model.log(level, line);
    return;
  }
  std::fprintf(stderr, "[tfjs-run] %s\n", Printable(line).c_str());
}

bool Worker::Recycle() {
  if (!source) return false;
  ScopedLogVersion log_version(version);
  try {
    std::unique_ptr<Model> fresh = LoadAgain(*source, code_cache);
    model = std::move(fresh);  // the broken isolate is disposed here, on its own thread
    UpdateStats([](WorkerStats& s) { ++s.recycles; });
    return true;
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "replacing a broken isolate failed: " + std::string(e.what()));
    return false;
  }
}

void Worker::TendGraceWindow() {
  switch (grace_.Check(version)) {
    case GraceWindow::Verdict::kKeep:
      return;
    case GraceWindow::Verdict::kClose:
      previous = {};  // its isolate is disposed here, on its own thread
      return;
    case GraceWindow::Verdict::kRollBack:
      SwapBack();
      return;
  }
}

bool Worker::SwapBack() {
  Previous back = std::move(previous);
  previous = {};
  if (!back.model || back.model->broken()) {
    try {
      back.model = LoadAgain(*back.source, back.code_cache);
    } catch (const std::exception& e) {
      Log(LogLevel::kError, "loading version " + back.version + " again to roll back failed: " + e.what());
      return false;
    }
  }
  model = std::move(back.model);  // the failing version's isolate is disposed here
  version = std::move(back.version);
  source = std::move(back.source);
  code_cache = std::move(back.code_cache);
  UpdateStats([&](WorkerStats& s) {
    ++s.rollbacks;
    s.version = version;
    s.load_ms = model->load_ms();
  });
  return true;
}

void Worker::TryPrevious(std::vector<DenseMatrixView>& parts, DenseMatrix& output, std::exception_ptr& error) {
  if (!previous.source) return;
  std::string why;
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    // Bad input is bad on every version; only a failure of the model's code is the version's.
    if (e.kind() != ErrorKind::kPredict && e.kind() != ErrorKind::kOutput && e.kind() != ErrorKind::kTimeout &&
        e.kind() != ErrorKind::kMemory) {
      return;
    }
    why = e.what();
  } catch (...) {
    return;
  }
  if (!previous.model || previous.model->broken()) return;
  DenseMatrix answer;
  try {
    answer = previous.model->Predict(parts);
  } catch (const std::exception&) {
    return;  // it fails on both versions: the request's own fault; the new version stays
  }
  if (!grace_.RollBack(version, why)) return;  // the window closed meanwhile
  Log(LogLevel::kWarn, "version " + version + " failed a request that version " + previous.version +
                           " answered; rolling back: " + why);
  if (!SwapBack()) return;
  output = std::move(answer);
  error = nullptr;
}

void Worker::RunBatch(std::vector<Task>& batch, std::vector<DenseMatrixView>& parts, bool retry) {
  size_t rows = 0;
  parts.clear();
  for (const Task& t : batch) {
    rows += t.rows;
    parts.push_back(t.request->input.slice_rows(t.first_row, t.rows));  // Model copies them once, into JS
  }
  const auto start = Clock::now();
  DenseMatrix output;
  std::exception_ptr error;
  ScopedLogVersion log_version(version);
  try {
    output = model->Predict(parts);
  } catch (...) {
    error = std::current_exception();
  }
  const auto end = Clock::now();
  UpdateStats([&](WorkerStats& s) {
    ++s.batches;
    s.rows += rows;
    s.busy_seconds += std::chrono::duration<double>(end - start).count();
    s.cpu_seconds = ThreadCpuSeconds();
    if (error) ++s.failed_batches;
  });
  const bool broke = error && model->broken();
  if (broke) Recycle();
  if (error && batch.size() > 1) {
    // One request's rows made the batch fail: run each request alone, so only the requests that
    // fail on their own get the error and the others still get their results. If the batch
    // broke an isolate, that was each request's one retry.
    for (Task& t : batch) {
      std::vector<Task> single{t};
      RunBatch(single, parts, /*retry=*/!broke && retry);
    }
    return;
  }
  if (broke && retry && !previous.model) {
    std::vector<Task> again{batch.front()};
    RunBatch(again, parts, /*retry=*/false);  // on the fresh isolate, once
    return;
  }
  if (error) TryPrevious(parts, output, error);  // in a grace window: the previous version's answer

  size_t at = 0;
  finished_.clear();
  for (Task& t : batch) {
    if (queue_.Complete(t, error ? nullptr : &output, at, error, version)) finished_.push_back(t.request.get());
    at += t.rows;
  }
  {
    std::lock_guard lock(stats_mu_);  // once per batch, not per request
    stats_.requests += batch.size();
    for (Request* req : finished_) {
      const float us = std::chrono::duration<float, std::micro>(end - req->submitted).count();
      if (latencies_.size() < kLatencyWindow) latencies_.push_back(us);
      else latencies_[latency_next_] = us;
      latency_next_ = (latency_next_ + 1) % kLatencyWindow;
    }
  }
  for (Request* req : finished_) RequestQueue::Finish(*req, index);  // batch (and its shared_ptrs) outlives this loop
}

}  // namespace tfjs_run::internal
