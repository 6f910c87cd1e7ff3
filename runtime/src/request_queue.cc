#include "request_queue.h"

#include <algorithm>
#include <cstring>

namespace tfjs_run::internal {

RequestQueue::RequestQueue(size_t max_rows, size_t chunk_rows, ErrorFactory named_error)
    : max_rows_(max_rows), chunk_rows_(chunk_rows), named_error_(std::move(named_error)) {}

void RequestQueue::Push(std::shared_ptr<Request> request, bool block) {
  const size_t rows = request->input.rows();
  const size_t chunk = chunk_rows_ == 0 ? rows : chunk_rows_;
  const size_t chunks = (rows + chunk - 1) / chunk;
  request->pending_chunks = chunks;  // workers decrement it once queued: read the local after
  request->submitted = Clock::now();
  std::unique_lock lock(mu_);
  auto fits = [&] { return queued_rows_ == 0 || queued_rows_ + rows <= max_rows_; };
  if (stopping_) throw named_error_(ErrorKind::kShutdown, "the runtime is shutting down");
  if (!fits()) {
    if (!block) {
      ++rejected_overloaded_;
      throw named_error_(ErrorKind::kOverloaded, "queue full (" + std::to_string(queued_rows_) +
                                                     " rows queued, limit " + std::to_string(max_rows_) +
                                                     "); request of " + std::to_string(rows) + " rows refused");
    }
    space_cv_.wait(lock, [&] { return stopping_ || fits(); });
    if (stopping_) throw named_error_(ErrorKind::kShutdown, "the runtime is shutting down");
  }
  for (size_t first = 0; first < rows; first += chunk) {
    queue_.push_back(Task{request, first, std::min(chunk, rows - first)});
  }
  queued_rows_ += rows;
  max_queued_rows_seen_ = std::max(max_queued_rows_seen_, queued_rows_);
  lock.unlock();
  if (chunks > 1) work_cv_.notify_all(); else work_cv_.notify_one();
  Wake(chunks > 1);
}

void RequestQueue::TakeLocked(std::vector<Task>& batch, size_t& rows, size_t max_rows) {
  while (!queue_.empty() && (batch.empty() || rows + queue_.front().rows <= max_rows)) {
    rows += queue_.front().rows;
    queued_rows_ -= queue_.front().rows;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

RequestQueue::Taken RequestQueue::TryTake(std::vector<Task>& batch, size_t max_rows) {
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) return stopping_ ? Taken::kDrained : Taken::kEmpty;
    size_t rows = 0;
    TakeLocked(batch, rows, max_rows);
  }
  space_cv_.notify_all();
  return Taken::kBatch;
}

RequestQueue::Taken RequestQueue::Take(std::vector<Task>& batch, size_t max_rows, std::chrono::microseconds delay,
                                       const std::function<bool()>& interrupted, std::chrono::microseconds spin) {
  size_t rows = 0;
  {
    std::unique_lock lock(mu_);
    if (spin.count() > 0 && queue_.empty() && !stopping_) {
      // Poll before sleeping; a control message waits at most `spin` for the wait below.
      const auto until = Clock::now() + spin;
      while (queue_.empty() && !stopping_ && Clock::now() < until) {
        lock.unlock();
        internal::CpuRelax();
        lock.lock();
      }
    }
    // `interrupted` may consume what it reports (a worker's control message): call it once per
    // wake-up, and return as soon as it says yes.
    bool was_interrupted = false;
    work_cv_.wait(lock, [&] {
      was_interrupted = interrupted();
      return was_interrupted || !queue_.empty() || stopping_;
    });
    if (was_interrupted) return Taken::kInterrupted;
    if (queue_.empty()) return Taken::kDrained;  // stopping, and everything accepted is done or taken
    TakeLocked(batch, rows, max_rows);
    if (rows < max_rows && delay.count() > 0 && !stopping_) {
      const auto deadline = Clock::now() + delay;
      while (rows < max_rows && !stopping_) {
        if (!work_cv_.wait_until(lock, deadline, [&] { return !queue_.empty() || stopping_; })) break;
        const size_t before = rows;
        TakeLocked(batch, rows, max_rows);
        if (rows == before) break;  // the next request does not fit in this batch
      }
    }
  }
  space_cv_.notify_all();
  return Taken::kBatch;
}

bool RequestQueue::Complete(Task& task, const DenseMatrix* output, size_t output_first_row, std::exception_ptr error,
                            const std::string& version) {
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
        req.error = std::make_exception_ptr(named_error_(ErrorKind::kOutput, "chunks of one request came back with " +
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
    const size_t chunk = chunk_rows_ == 0 ? rows : chunk_rows_;
    {
      std::lock_guard lock(req.mu);
      req.pending_chunks = (rows + chunk - 1) / chunk;
      req.version.clear();
      req.mixed = false;
      req.output_allocated = false;
    }
    {
      std::lock_guard lock(mu_);
      queued_rows_ += rows;  // taken again by workers like any queued rows
      ++recomputed_;
      for (size_t first = rows; first > 0;) {  // at the front, in order: it has waited long enough
        const size_t n = first % chunk ? first % chunk : chunk;
        first -= n;
        queue_.push_front(Task{task.request, first, n});
      }
    }
    work_cv_.notify_all();
    Wake(true);
    return false;
  }
  return true;  // the request is complete: exactly one worker gets here, once
}

void RequestQueue::Finish(Request& req, size_t worker) {
  req.done(Prediction{req.error ? DenseMatrix() : std::move(req.output), req.version, worker}, req.error);
}

bool RequestQueue::SignalUnlessStopped(const std::function<void()>& f) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    f();
  }
  work_cv_.notify_all();
  return true;
}

void RequestQueue::WakeEveryone() {
  { std::lock_guard lock(mu_); }  // a taker between its predicate and its wait sees the news after it
  work_cv_.notify_all();
  Wake(true);
}

void RequestQueue::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  Wake(true);
}

bool RequestQueue::stopped() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

bool RequestQueue::empty() const {
  std::lock_guard lock(mu_);
  return queue_.empty();
}

QueueStats RequestQueue::Stats() const {
  std::lock_guard lock(mu_);
  return QueueStats{queued_rows_, queue_.size(), max_queued_rows_seen_, rejected_overloaded_, recomputed_};
}

}  // namespace tfjs_run::internal
