// The request queue on its own (runtime/src/request_queue.h): ordering, chunking, the row bound
// and its refusals, batching limits, completion, and stop/drain. No V8, no fixtures: runtime_test
// covers the same queue through real workers and bundles.
#include "request_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tfjs_run::internal {
namespace {

using namespace std::chrono_literals;

constexpr size_t kCols = 2;

RequestQueue::ErrorFactory NamedError() {
  return [](ErrorKind kind, std::string message) { return Error(kind, std::move(message), {}, "test.bundle.js", "7"); };
}

// A request of `rows` rows whose values are its row numbers, first column only; `done` records
// what Finish delivers.
struct Delivered {
  std::optional<Prediction> prediction;
  std::exception_ptr error;
  int calls = 0;
};

std::shared_ptr<Request> MakeRequest(size_t rows, Delivered* delivered = nullptr) {
  auto request = std::make_shared<Request>();
  request->owned_input.assign(rows * kCols, 0.0f);
  for (size_t r = 0; r < rows; ++r) request->owned_input[r * kCols] = float(r);
  request->input = DenseMatrixView(request->owned_input.data(), rows, kCols);
  request->done = [delivered](Prediction p, std::exception_ptr e) {
    if (!delivered) return;
    ++delivered->calls;
    delivered->prediction = std::move(p);
    delivered->error = e;
  };
  return request;
}

const auto kNever = [] { return false; };

std::vector<Task> TakeBatch(RequestQueue& queue, size_t max_rows, std::chrono::microseconds delay = {}) {
  std::vector<Task> batch;
  EXPECT_EQ(queue.Take(batch, max_rows, delay, kNever), RequestQueue::Taken::kBatch);
  return batch;
}

// What a worker computes for a chunk: its rows, each value the input row's number times 10 in
// the first column and `version_mark` in the second.
DenseMatrix Compute(const Task& task, float version_mark = 0) {
  DenseMatrix out(task.rows, kCols);
  for (size_t r = 0; r < task.rows; ++r) {
    out.at(r, 0) = task.request->input.at(task.first_row + r, 0) * 10;
    out.at(r, 1) = version_mark;
  }
  return out;
}

bool CompleteWith(RequestQueue& queue, Task& task, const std::string& version, float version_mark = 0) {
  const DenseMatrix out = Compute(task, version_mark);
  return queue.Complete(task, &out, 0, nullptr, version);
}

ErrorKind KindOfPush(RequestQueue& queue, std::shared_ptr<Request> request, bool block) {
  try {
    queue.Push(std::move(request), block);
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "Push did not throw";
  return ErrorKind::kInternal;
}

TEST(RequestQueueTest, RequestsAreTakenOldestFirst) {
  RequestQueue queue(100, 0, NamedError());
  auto a = MakeRequest(2), b = MakeRequest(3), c = MakeRequest(1);
  queue.Push(a, true);
  queue.Push(b, true);
  queue.Push(c, true);
  std::vector<Task> batch = TakeBatch(queue, 100);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].request, a);
  EXPECT_EQ(batch[1].request, b);
  EXPECT_EQ(batch[2].request, c);
  EXPECT_EQ(queue.Stats().rows, 0u);
}

TEST(RequestQueueTest, ARequestLongerThanChunkRowsIsSplitIntoChunksInRowOrder) {
  RequestQueue queue(100, 4, NamedError());
  queue.Push(MakeRequest(10), true);
  QueueStats s = queue.Stats();
  EXPECT_EQ(s.rows, 10u);
  EXPECT_EQ(s.requests, 3u);  // chunks queued
  std::vector<Task> batch = TakeBatch(queue, 100);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].first_row, 0u);
  EXPECT_EQ(batch[0].rows, 4u);
  EXPECT_EQ(batch[1].first_row, 4u);
  EXPECT_EQ(batch[1].rows, 4u);
  EXPECT_EQ(batch[2].first_row, 8u);
  EXPECT_EQ(batch[2].rows, 2u);
}

TEST(RequestQueueTest, ABatchTakesChunksInOrderUntilTheNextDoesNotFitInMaxRows) {
  RequestQueue queue(100, 0, NamedError());
  auto a = MakeRequest(3), b = MakeRequest(5), c = MakeRequest(1);
  queue.Push(a, true);
  queue.Push(b, true);
  queue.Push(c, true);
  // a (3) fits in 7, b (5) does not: c (1) would, but is not taken ahead of b.
  std::vector<Task> first = TakeBatch(queue, 7);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].request, a);
  std::vector<Task> second = TakeBatch(queue, 7);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].request, b);
  EXPECT_EQ(second[1].request, c);
}

TEST(RequestQueueTest, AChunkLargerThanMaxRowsIsTakenAloneRatherThanNever) {
  RequestQueue queue(100, 0, NamedError());
  queue.Push(MakeRequest(10), true);
  queue.Push(MakeRequest(1), true);
  std::vector<Task> batch = TakeBatch(queue, 4);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].rows, 10u);
  EXPECT_EQ(queue.Stats().rows, 1u);
}

TEST(RequestQueueTest, WhenFullANonBlockingPushIsRefusedAsOverloadedAndCounted) {
  RequestQueue queue(5, 0, NamedError());
  queue.Push(MakeRequest(4), false);
  try {
    queue.Push(MakeRequest(2), false);
    ADD_FAILURE() << "a push over the limit was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOverloaded);
    EXPECT_EQ(e.message(), "queue full (4 rows queued, limit 5); request of 2 rows refused");
    EXPECT_EQ(e.bundle_version(), "7");
  }
  QueueStats s = queue.Stats();
  EXPECT_EQ(s.rows, 4u);
  EXPECT_EQ(s.rejected_overloaded, 1u);
  queue.Push(MakeRequest(1), false);  // what still fits is taken
  EXPECT_EQ(queue.Stats().rows, 5u);
}

TEST(RequestQueueTest, AnEmptyQueueTakesARequestLargerThanItsLimit) {
  RequestQueue queue(5, 0, NamedError());
  queue.Push(MakeRequest(12), false);
  EXPECT_EQ(queue.Stats().rows, 12u);
  EXPECT_EQ(KindOfPush(queue, MakeRequest(1), false), ErrorKind::kOverloaded);
}

TEST(RequestQueueTest, ABlockingPushWaitsForRoomAndTheQueueNeverHoldsMoreThanItsLimit) {
  RequestQueue queue(5, 0, NamedError());
  queue.Push(MakeRequest(4), true);
  std::thread pusher([&] { queue.Push(MakeRequest(3), true); });  // 4 + 3 > 5: waits for a Take
  std::vector<Task> batch = TakeBatch(queue, 100);
  pusher.join();
  ASSERT_EQ(batch.size(), 1u);  // the 3 rows could not be queued until this Take made room
  EXPECT_EQ(batch[0].rows, 4u);
  QueueStats s = queue.Stats();
  EXPECT_EQ(s.rows, 3u);
  EXPECT_EQ(s.max_rows_seen, 4u);  // never 7
  EXPECT_EQ(s.rejected_overloaded, 0u);
}

TEST(RequestQueueTest, AfterStopAPushIsRefusedAsShutdown) {
  RequestQueue queue(5, 0, NamedError());
  queue.Stop();
  EXPECT_EQ(KindOfPush(queue, MakeRequest(1), true), ErrorKind::kShutdown);
  EXPECT_EQ(KindOfPush(queue, MakeRequest(1), false), ErrorKind::kShutdown);
  EXPECT_EQ(queue.Stats().rows, 0u);
}

TEST(RequestQueueTest, StopWakesAPushWaitingForRoomWithShutdown) {
  RequestQueue queue(5, 0, NamedError());
  queue.Push(MakeRequest(5), true);
  std::optional<ErrorKind> kind;
  std::thread pusher([&] { kind = KindOfPush(queue, MakeRequest(1), true); });
  queue.Stop();
  pusher.join();
  EXPECT_EQ(kind, ErrorKind::kShutdown);
  EXPECT_EQ(queue.Stats().rows, 5u);  // what was accepted stays, for the workers to drain
}

TEST(RequestQueueTest, AfterStopWorkersTakeEveryAcceptedRequestThenAreToldItIsDrained) {
  RequestQueue queue(100, 0, NamedError());
  auto a = MakeRequest(2), b = MakeRequest(3);
  queue.Push(a, true);
  queue.Push(b, true);
  queue.Stop();
  std::vector<Task> batch = TakeBatch(queue, 100);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].request, a);
  EXPECT_EQ(batch[1].request, b);
  std::vector<Task> none;
  EXPECT_EQ(queue.Take(none, 100, {}, kNever), RequestQueue::Taken::kDrained);
  EXPECT_TRUE(none.empty());
}

TEST(RequestQueueTest, StopWakesAnIdleWorkerWithDrained) {
  RequestQueue queue(100, 0, NamedError());
  std::optional<RequestQueue::Taken> taken;
  std::thread worker([&] {
    std::vector<Task> batch;
    taken = queue.Take(batch, 100, {}, kNever);
  });
  queue.Stop();
  worker.join();
  EXPECT_EQ(taken, RequestQueue::Taken::kDrained);
}

TEST(RequestQueueTest, ASignalWakesAWaitingWorkerWhoseInterruptedPredicateSeesIt) {
  RequestQueue queue(100, 0, NamedError());
  bool message = false;  // under the queue's lock: set by SignalUnlessStopped, read by `interrupted`
  std::optional<RequestQueue::Taken> taken;
  std::vector<Task> batch;
  std::thread worker([&] { taken = queue.Take(batch, 100, {}, [&] { return std::exchange(message, false); }); });
  EXPECT_TRUE(queue.SignalUnlessStopped([&] { message = true; }));
  worker.join();
  EXPECT_EQ(taken, RequestQueue::Taken::kInterrupted);
  EXPECT_TRUE(batch.empty());
  EXPECT_FALSE(message);  // consumed by the worker
}

TEST(RequestQueueTest, AfterStopASignalIsNotDelivered) {
  RequestQueue queue(100, 0, NamedError());
  queue.Stop();
  bool ran = false;
  EXPECT_FALSE(queue.SignalUnlessStopped([&] { ran = true; }));
  EXPECT_FALSE(ran);
}

TEST(RequestQueueTest, TheBatchDelayGathersLaterRequestsAndEndsAsSoonAsTheBatchIsFull) {
  RequestQueue queue(100, 0, NamedError());
  auto a = MakeRequest(2), b = MakeRequest(2);
  queue.Push(a, true);
  std::vector<Task> batch;
  std::optional<RequestQueue::Taken> taken;
  const auto start = Clock::now();
  // Up to an hour for more rows: only a full batch (4 rows) can end this wait in time.
  std::thread worker([&] { taken = queue.Take(batch, 4, std::chrono::hours(1), kNever); });
  queue.Push(b, true);
  worker.join();
  EXPECT_LT(Clock::now() - start, std::chrono::minutes(1));
  EXPECT_EQ(taken, RequestQueue::Taken::kBatch);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].request, a);
  EXPECT_EQ(batch[1].request, b);
}

TEST(RequestQueueTest, ChunksCompletedInAnyOrderAssembleTheOutputAndTheLastFinishesItOnce) {
  RequestQueue queue(100, 2, NamedError());
  Delivered delivered;
  auto request = MakeRequest(5, &delivered);
  queue.Push(request, true);
  std::vector<Task> batch = TakeBatch(queue, 100);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_FALSE(CompleteWith(queue, batch[2], "7"));
  EXPECT_FALSE(CompleteWith(queue, batch[0], "7"));
  EXPECT_TRUE(CompleteWith(queue, batch[1], "7"));  // the last chunk, whichever it is
  EXPECT_EQ(delivered.calls, 0);                    // the worker that completed it calls Finish
  RequestQueue::Finish(*request, 3);
  ASSERT_EQ(delivered.calls, 1);
  EXPECT_FALSE(delivered.error);
  const Prediction& p = *delivered.prediction;
  EXPECT_EQ(p.bundle_version, "7");
  EXPECT_EQ(p.worker, 3u);
  ASSERT_EQ(p.output.rows(), 5u);
  ASSERT_EQ(p.output.cols(), kCols);
  for (size_t r = 0; r < 5; ++r) EXPECT_FLOAT_EQ(p.output.at(r, 0), float(r) * 10) << "row " << r;
}

TEST(RequestQueueTest, ARequestWhoseChunksRanOnTwoVersionsIsQueuedAgainWholeAtTheFront) {
  RequestQueue queue(100, 2, NamedError());
  Delivered delivered;
  auto straddling = MakeRequest(4, &delivered);
  queue.Push(straddling, true);
  std::vector<Task> batch = TakeBatch(queue, 100);
  ASSERT_EQ(batch.size(), 2u);
  auto later = MakeRequest(1);
  queue.Push(later, true);
  EXPECT_FALSE(CompleteWith(queue, batch[0], "1", 1));
  EXPECT_FALSE(CompleteWith(queue, batch[1], "2", 2));  // the last chunk, but on another version
  QueueStats s = queue.Stats();
  EXPECT_EQ(s.recomputed, 1u);
  EXPECT_EQ(s.rows, 5u);
  std::vector<Task> again = TakeBatch(queue, 100);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].request, straddling);
  EXPECT_EQ(again[0].first_row, 0u);
  EXPECT_EQ(again[1].request, straddling);
  EXPECT_EQ(again[1].first_row, 2u);
  EXPECT_EQ(again[2].request, later);
  EXPECT_FALSE(CompleteWith(queue, again[0], "2", 2));
  EXPECT_TRUE(CompleteWith(queue, again[1], "2", 2));
  RequestQueue::Finish(*straddling, 0);
  ASSERT_EQ(delivered.calls, 1);
  EXPECT_EQ(delivered.prediction->bundle_version, "2");
  for (size_t r = 0; r < 4; ++r) EXPECT_FLOAT_EQ(delivered.prediction->output.at(r, 1), 2) << "row " << r;
}

TEST(RequestQueueTest, AFailedChunkFailsTheWholeRequestWithItsError) {
  RequestQueue queue(100, 2, NamedError());
  Delivered delivered;
  auto request = MakeRequest(4, &delivered);
  queue.Push(request, true);
  std::vector<Task> batch = TakeBatch(queue, 100);
  ASSERT_EQ(batch.size(), 2u);
  auto error = std::make_exception_ptr(Error(ErrorKind::kPredict, "fails on row 3"));
  EXPECT_FALSE(queue.Complete(batch[1], nullptr, 0, error, "7"));
  EXPECT_TRUE(CompleteWith(queue, batch[0], "7"));
  RequestQueue::Finish(*request, 0);
  ASSERT_EQ(delivered.calls, 1);
  EXPECT_EQ(delivered.error, error);
  EXPECT_EQ(delivered.prediction->output.size(), 0u);
}

TEST(RequestQueueTest, ChunksThatComeBackWithDifferentWidthsFailTheRequestAsOutput) {
  RequestQueue queue(100, 1, NamedError());
  Delivered delivered;
  auto request = MakeRequest(2, &delivered);
  queue.Push(request, true);
  std::vector<Task> batch = TakeBatch(queue, 100);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_FALSE(CompleteWith(queue, batch[0], "7"));
  const DenseMatrix wider(1, kCols + 1);
  EXPECT_TRUE(queue.Complete(batch[1], &wider, 0, nullptr, "7"));
  RequestQueue::Finish(*request, 0);
  ASSERT_TRUE(delivered.error);
  try {
    std::rethrow_exception(delivered.error);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOutput);
    EXPECT_EQ(e.message(), "chunks of one request came back with 2 and 3 columns");
  }
}

}  // namespace
}  // namespace tfjs_run::internal
