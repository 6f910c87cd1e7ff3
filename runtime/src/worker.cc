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
               ServingThreads* shared, size_t thread)
    : index(index),
      cpu_(cpu),
      options_(options),
      queue_(queue),
      grace_(grace),
      versions_(options.model, grace.enabled()),
      shared_(shared),
      thread_index_(thread) {
  stats_.worker = index;
  stats_.cpu = cpu;
}

Worker::~Worker() { Join(); }

void Worker::Start(StageSpec& first, std::promise<void>& loaded) {
  thread_ = std::thread([this, &first, &loaded] { Main(first, loaded); });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
  if (attached_) detached_future_.wait();
  if (recovery_.joinable()) recovery_.join();  // past its work: the slot was done only after it
}

std::string Worker::Run(const Step& step) {
  if (shared_) {
    step_posted_ = Clock::now();
    std::string result;
    {
      std::lock_guard lock(serve_mu_);  // waits out the turn running now; the slot sits out the next ones
      if (served_out_ || queue_.stopped()) return "the runtime is shutting down";
      result = step(*this);
    }
    RingIfQueued();
    return result;
  }
  std::future<std::string> done;
  const bool posted = queue_.SignalUnlessStopped([&] {
    step_done_ = std::promise<std::string>();
    done = step_done_.get_future();
    step_ = &step;
    step_posted_ = Clock::now();
  });
  if (!posted) return "the runtime is shutting down";
  return done.get();
}

void Worker::SampleMemory(std::optional<Clock::time_point> t) {
  if (t && *t - memory_sampled_ < std::chrono::milliseconds(100)) return;
  memory_sampled_ = t ? *t : Clock::now();
  const size_t bytes = versions_.model().memory_bytes();
  UpdateStats([&](WorkerStats& s) { s.memory_bytes = bytes; });
}

void Worker::CommitStaged() {
  versions_.Commit();
  SampleMemory();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - step_posted_).count();
  UpdateStats([&](WorkerStats& s) {
    s.version = versions_.version();
    s.last_switch_ms = ms;
    ++s.switches;
    s.load_ms = versions_.model().load_ms();
    s.code_cache_accepted = versions_.model().code_cache_accepted();
  });
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

void Worker::RecordFinishedLocked(float us, bool failed) {
  stats_.finished.min_us = stats_.finished.count == 0 ? us : std::min<double>(stats_.finished.min_us, us);
  stats_.finished.max_us = std::max<double>(stats_.finished.max_us, us);
  stats_.finished.sum_us += us;
  ++stats_.finished.count;
  if (failed) ++stats_.finished.failed;
  if (latencies_.size() < kLatencyWindow) latencies_.push_back(us);
  else latencies_[latency_next_] = us;
  latency_next_ = (latency_next_ + 1) % kLatencyWindow;
}

void Worker::Pin() {
  if (cpu_ < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu_, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
    cpu_ = -1;
    UpdateStats([](WorkerStats& s) { s.cpu = -1; });
  }
}

bool Worker::LoadFirst(StageSpec& first, std::promise<void>& loaded) {
  std::lock_guard lock(serve_mu_);
  try {
    // No version serves yet, so none can refuse this one.
    if (std::string why = versions_.Stage(first); !why.empty()) throw Error(ErrorKind::kInternal, why);
    versions_.Commit();
    UpdateStats([&](WorkerStats& s) {
      s.load_ms = first.load_ms;
      s.warmup_ms = first.warmup_ms;
      s.code_cache_accepted = versions_.model().code_cache_accepted();
      s.version = versions_.version();
    });
    SampleMemory();
  } catch (...) {
    loaded.set_exception(std::current_exception());
    return false;
  }
  return true;
}

void Worker::Main(StageSpec& first, std::promise<void>& loaded) {
  // Named for thread dumps (a JVM shows attached workers under this name).
  pthread_setname_np(pthread_self(), ("tfjs-run-w" + std::to_string(index)).substr(0, 15).c_str());
  if (shared_) {
    // A slot: loaded here, off the shared threads, then served there.
    if (!LoadFirst(first, loaded)) return;
    attached_ = true;
    shared_->Attach(thread_index_, this);
    loaded.set_value();
    return;
  }
  Pin();
  if (!LoadFirst(first, loaded)) return;
  loaded.set_value();

  std::vector<Task> batch;
  std::vector<DenseMatrixView> parts;  // reused by every batch
  const size_t max_rows = std::max<size_t>(1, options_.max_batch_rows);
  const Step* step = nullptr;
  auto take_step = [&] {  // under the queue's lock
    if (!step_) return versions_.holds_previous() && grace_.RolledBack();  // roll back while idle
    step = step_;
    step_ = nullptr;
    return true;
  };
  for (;;) {
    batch.clear();
    const RequestQueue::Taken taken = queue_.Take(batch, max_rows, options_.max_batch_delay, take_step, options_.spin);
    if (taken == RequestQueue::Taken::kDrained) break;
    std::lock_guard lock(serve_mu_);  // a blocking Predict may be using the model (TryPredictHere)
    if (taken == RequestQueue::Taken::kInterrupted) {
      if (step) step_done_.set_value((*step)(*this));
      else TendGraceWindow(nullptr);
      step = nullptr;
      continue;
    }
    if (versions_.holds_previous()) TendGraceWindow(&batch);  // on a thread of its own, never deferred
    RunBatch(batch, parts, /*retry=*/true);
  }
  std::lock_guard lock(serve_mu_);
  served_out_ = true;
  versions_.DisposeAll();  // the isolates are disposed on the thread that owns them
}

ServedSlot::Turn Worker::ServeTurn() {
  std::unique_lock lock(serve_mu_, std::try_to_lock);
  // A step (Run), a caller (TryPredictHere) or a recovery thread holds the slot, or a recovery is
  // pending; each rings after.
  if (!lock.owns_lock() || recovering_) return Turn::kIdle;
  // Roll back while idle.
  if (versions_.holds_previous() && grace_.RolledBack() && !TendGraceWindow(nullptr)) return Turn::kIdle;
  batch_.clear();
  switch (queue_.TryTake(batch_, std::max<size_t>(1, options_.max_batch_rows))) {
    case RequestQueue::Taken::kBatch:
      if (versions_.holds_previous() && !TendGraceWindow(&batch_)) return Turn::kWorked;  // the recovery runs it
      RunBatch(batch_, parts_, /*retry=*/true);
      return Turn::kWorked;
    case RequestQueue::Taken::kDrained:
      versions_.DisposeAll();
      served_out_ = true;
      lock.unlock();
      detached_.set_value();  // Join may return and destroy this worker now
      return Turn::kDone;
    default:
      return Turn::kIdle;
  }
}

bool Worker::TryPredictHere(DenseMatrixView input, Prediction& out) {
  std::unique_lock lock(serve_mu_, std::try_to_lock);
  if (!lock.owns_lock() || served_out_ || recovering_ || queue_.stopped() || !versions_.serving() ||
      versions_.holds_previous() || !versions_.model().runs_without_js()) {
    return false;
  }
  ScopedLogVersion log_version(versions_.version());
  const auto start = Clock::now();
  std::exception_ptr error;
  try {
    out.output = versions_.model().Predict(input);
    out.bundle_version = versions_.version();
    out.worker = index;
  } catch (...) {
    error = std::current_exception();
  }
  const auto end = Clock::now();
  {
    std::lock_guard stats_lock(stats_mu_);
    ++stats_.batches;
    ++stats_.caller_batches;
    stats_.rows += input.rows();
    stats_.busy_seconds += std::chrono::duration<double>(end - start).count();
    if (error) ++stats_.failed_batches;
    ++stats_.requests;
    RecordFinishedLocked(std::chrono::duration<float, std::micro>(end - start).count(), error != nullptr);
  }
  lock.unlock();
  RingIfQueued();
  if (error) std::rethrow_exception(error);
  return true;
}

void Worker::RingIfQueued() {
  if (shared_ && !queue_.empty()) shared_->Wake(false);
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
  ScopedLogVersion log_version(versions_.version());
  if (std::string why = versions_.Recycle(); !why.empty()) {
    Log(LogLevel::kError, "replacing a broken isolate failed: " + why);
    return false;
  }
  UpdateStats([](WorkerStats& s) { ++s.recycles; });
  return true;
}

bool Worker::TendGraceWindow(std::vector<Task>* batch) {
  switch (grace_.Check(versions_.version())) {
    case GraceWindow::Verdict::kKeep:
      return true;
    case GraceWindow::Verdict::kClose:
      versions_.DropPrevious();
      return true;
    case GraceWindow::Verdict::kRollBack:
      if (shared_ && !on_recovery_thread_ && versions_.rollback_loads()) {
        std::vector<Task> held;
        if (batch) held.swap(*batch);
        RecoverOffThread([this, held = std::move(held)]() mutable {
          RollBack();
          std::vector<DenseMatrixView> parts;
          if (!held.empty()) RunBatch(held, parts, /*retry=*/true);
        });
        return false;
      }
      RollBack();
      return true;
  }
  return true;
}

void Worker::RecoverOffThread(std::function<void()> work) {
  recovery_work_.push_back(std::move(work));
  if (recovering_) return;  // the pending recovery thread runs it too, after what came before
  if (recovery_.joinable()) recovery_.join();  // the last one is past its work (recovering_ was false)
  recovering_ = true;
  recovery_ = std::thread([this] {
    pthread_setname_np(pthread_self(), ("tfjs-run-r" + std::to_string(index)).substr(0, 15).c_str());
    {
      // After this turn. The slot cannot have been served out meanwhile: its turns are idle while
      // recovering_, and a slot is done only at a turn.
      std::lock_guard lock(serve_mu_);
      on_recovery_thread_ = true;
      for (std::function<void()>& w : recovery_work_) w();  // on this thread, nothing more is deferred
      recovery_work_.clear();
      on_recovery_thread_ = false;
      recovering_ = false;
    }
    shared_->Wake(true);  // its thread may be asleep with this slot's queue full, or due to find it drained
  });
}

bool Worker::RollBack() {
  if (std::string why = versions_.RollBack(); !why.empty()) {
    Log(LogLevel::kError, why);
    return false;
  }
  UpdateStats([&](WorkerStats& s) {
    ++s.rollbacks;
    s.version = versions_.version();
    s.load_ms = versions_.model().load_ms();
  });
  return true;
}

void Worker::TryPrevious(std::vector<DenseMatrixView>& parts, DenseMatrix& output, std::exception_ptr& error) {
  if (!versions_.holds_previous()) return;
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
  Model* previous = versions_.previous_model();
  if (!previous) return;
  DenseMatrix answer;
  try {
    answer = previous->Predict(parts);
  } catch (const std::exception&) {
    return;  // it fails on both versions: the request's own fault; the new version stays
  }
  if (!grace_.RollBack(versions_.version(), why)) return;  // the window closed meanwhile
  Log(LogLevel::kWarn, "version " + versions_.version() + " failed a request that version " +
                           versions_.previous_version() + " answered; rolling back: " + why);
  if (!RollBack()) return;
  queue_.WakeEveryone();  // the other workers roll back now, not at their next batch
  output = std::move(answer);
  error = nullptr;
}

namespace {
// The batch's rows, request by request; returns their count.
size_t PartsOf(const std::vector<Task>& batch, std::vector<DenseMatrixView>& parts) {
  size_t rows = 0;
  parts.clear();
  for (const Task& t : batch) {
    rows += t.rows;
    parts.push_back(t.request->input.slice_rows(t.first_row, t.rows));  // Model copies them once, into JS
  }
  return rows;
}
}  // namespace

void Worker::RunBatch(std::vector<Task>& batch, std::vector<DenseMatrixView>& parts, bool retry) {
  if (shared_ && recovering_ && !on_recovery_thread_) {  // an earlier request of this turn broke the isolate
    RecoverOffThread([this, held = batch, retry]() mutable {
      std::vector<DenseMatrixView> own_parts;
      RunBatch(held, own_parts, retry);
    });
    return;
  }
  const size_t rows = PartsOf(batch, parts);
  const auto start = Clock::now();
  DenseMatrix output;
  std::exception_ptr error;
  ScopedLogVersion log_version(versions_.version());
  try {
    output = versions_.model().Predict(parts);
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
  const bool broke = error && versions_.model().broken();
  if (broke && shared_ && !on_recovery_thread_) {  // a slot: the load goes off its serving thread
    RecoverOffThread([this, held = batch, error, retry, end]() mutable {
      std::vector<DenseMatrixView> parts;
      PartsOf(held, parts);
      DenseMatrix output;
      FinishBatch(held, parts, output, error, /*broke=*/true, retry, end);
    });
    return;
  }
  FinishBatch(batch, parts, output, error, broke, retry, end);
}

void Worker::FinishBatch(std::vector<Task>& batch, std::vector<DenseMatrixView>& parts, DenseMatrix& output,
                         std::exception_ptr error, bool broke, bool retry, Clock::time_point end) {
  // A reload step may have switched versions before a recovery thread got here.
  if (broke && versions_.model().broken()) Recycle();
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
  if (broke && retry && !versions_.holds_previous()) {
    std::vector<Task> again{batch.front()};
    RunBatch(again, parts, /*retry=*/false);  // on the fresh isolate, once
    return;
  }
  if (error) TryPrevious(parts, output, error);  // in a grace window: the previous version's answer

  size_t at = 0;
  finished_.clear();
  for (Task& t : batch) {
    if (queue_.Complete(t, error ? nullptr : &output, at, error, versions_.version())) finished_.push_back(t.request.get());
    at += t.rows;
  }
  {
    std::lock_guard lock(stats_mu_);  // once per batch, not per request
    stats_.requests += batch.size();
    for (Request* req : finished_) {
      RecordFinishedLocked(std::chrono::duration<float, std::micro>(end - req->submitted).count(), req->error != nullptr);
    }
  }
  for (Request* req : finished_) RequestQueue::Finish(*req, index);  // batch (and its shared_ptrs) outlives this loop
  SampleMemory(end);  // the batch's own clock reading, not another
}

}  // namespace tfjs_run::internal
