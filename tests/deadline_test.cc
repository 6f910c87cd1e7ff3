// Deadlines on every entry into JS, and what happens after one passes: the call fails with a
// timeout that names the bundle and version, the isolate is replaced, and everything else is
// answered. Bundles: tests/fixtures/hostile/.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <vector>

#include "tfjs_run/tfjs_run.h"

namespace tfjs_run {
namespace {

const std::string kHostile = std::string(TFJS_RUN_SOURCE_DIR) + "/tests/fixtures/hostile/";
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

ModelOptions Deadlines(int load_ms, int predict_ms) {
  ModelOptions o;
  o.load_timeout = std::chrono::milliseconds(load_ms);
  o.predict_timeout = std::chrono::milliseconds(predict_ms);
  o.log = [](LogLevel, std::string_view) {};
  return o;
}

// Expects `f` to throw Error of `kind` within `seconds`; returns it.
template <typename F>
Error ExpectError(ErrorKind kind, double seconds, F&& f) {
  const auto start = Clock::now();
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_LT(SecondsSince(start), seconds) << e.what();
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error(ErrorKind::kPredict, "none");
}

TEST(PredictDeadline, AnEndlessLoopIsTerminatedNamesTheBundleAndBreaksTheIsolate) {
  auto model = Model::Load(BundleSource::FromFile(kHostile + "predict-loops.js"), Deadlines(30000, 300));
  const float good[] = {1, 2, 3};
  EXPECT_EQ(model->Predict({good, 1, 3}).at(0, 0), 6.0f);
  EXPECT_FALSE(model->broken());
  const float poisoned[] = {13, 0, 0};
  Error e = ExpectError(ErrorKind::kTimeout, 5, [&] { model->Predict({poisoned, 1, 3}); });
  EXPECT_EQ(e.bundle_name(), "predict-loops");
  EXPECT_EQ(e.bundle_version(), "7");
  EXPECT_NE(std::string(e.what()).find("300 ms deadline"), std::string::npos) << e.what();
  EXPECT_TRUE(model->broken());
}

TEST(PredictDeadline, APromiseThatNeverSettlesFailsAtThePredictDeadlineNotTheLoadTimeout) {
  auto model = Model::Load(BundleSource::FromFile(kHostile + "predict-never-settles.js"), Deadlines(30000, 300));
  const float good[] = {1, 2, 3};
  EXPECT_EQ(model->Predict({good, 1, 3}).at(0, 0), 6.0f);
  const float poisoned[] = {13, 0, 0};
  Error e = ExpectError(ErrorKind::kTimeout, 5, [&] { model->Predict({poisoned, 1, 3}); });
  EXPECT_NE(std::string(e.what()).find("did not settle"), std::string::npos) << e.what();
}

TEST(PredictDeadline, AnEndlessMicrotaskChainIsTerminated) {
  auto model = Model::Load(BundleSource::FromFile(kHostile + "predict-microtask-loop.js"), Deadlines(30000, 300));
  const float poisoned[] = {13, 0, 0};
  ExpectError(ErrorKind::kTimeout, 5, [&] { model->Predict({poisoned, 1, 3}); });
  EXPECT_TRUE(model->broken());
}

TEST(LoadDeadline, GettersActiveBackendAndAThrownValuesToStringAreUnderTheLoadDeadline) {
  for (const char* file : {"name-getter-loops.js", "active-backend-loops.js", "thrown-tostring-loops.js"}) {
    SCOPED_TRACE(file);
    Error e = ExpectError(ErrorKind::kLoadTimeout, 6,
                          [&] { Model::Load(BundleSource::FromFile(kHostile + file), Deadlines(400, 60000)); });
    EXPECT_NE(std::string(e.what()).find("load deadline"), std::string::npos) << e.what();
  }
}

RuntimeOptions TwoWorkers(int predict_ms) {
  RuntimeOptions o;
  o.workers = 2;
  o.max_batch_rows = 16;
  o.model = Deadlines(30000, predict_ms);
  return o;
}

// One poisoned row among 40 submitted at once on 2 workers: the 39 others are answered, the
// poisoned one fails with the timeout after breaking two isolates (its batch's, then its retry's),
// both replaced, and the runtime goes on serving.
TEST(Recycling, APoisonedRowFailsAloneAndTheWorkersReplaceTheirIsolates) {
  auto runtime = Runtime::Start(BundleSource::FromFile(kHostile + "predict-loops.js"), TwoWorkers(300));
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 40; ++i) rows.push_back({i == 17 ? 13.0f : 100.0f + static_cast<float>(i), 1, 1});
  std::vector<std::future<DenseMatrix>> futures;
  for (auto& row : rows) futures.push_back(runtime->Submit({row.data(), 1, 3}));
  int answered = 0;
  for (int i = 0; i < 40; ++i) {
    if (i == 17) {
      Error e = ExpectError(ErrorKind::kTimeout, 20, [&] { futures[i].get(); });
      EXPECT_EQ(e.bundle_name(), "predict-loops");
      continue;
    }
    try {
      DenseMatrix out = futures[i].get();
      EXPECT_EQ(out.at(0, 0), 102.0f + static_cast<float>(i)) << "row " << i;
      ++answered;
    } catch (const Error& e) {
      ADD_FAILURE() << "row " << i << " failed: " << e.what();
    }
  }
  EXPECT_EQ(answered, 39);
  RuntimeStats stats = runtime->Stats();
  uint64_t recycles = 0;
  for (const auto& w : stats.workers) recycles += w.recycles;
  EXPECT_EQ(recycles, 2u) << "the batch's isolate and the retry's";
  // Still serving, on fresh isolates.
  const float good[] = {4, 5, 6};
  EXPECT_EQ(runtime->Predict({good, 1, 3}).at(0, 0), 15.0f);
  EXPECT_EQ(runtime->Predict({good, 1, 3}).at(0, 0), 15.0f);
}

TEST(Recycling, TheCallbackApiGetsTheTimeoutAndShutdownStillDrains) {
  auto runtime = Runtime::Start(BundleSource::FromFile(kHostile + "predict-never-settles.js"), TwoWorkers(200));
  std::promise<std::exception_ptr> failed;
  const float poisoned[] = {13, 0, 0};
  runtime->Submit({poisoned, 1, 3}, [&](Prediction, std::exception_ptr error) { failed.set_value(error); });
  std::exception_ptr error = failed.get_future().get();
  ASSERT_TRUE(error);
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kTimeout) << e.what();
  }
  const float good[] = {1, 1, 1};
  auto f = runtime->Submit({good, 1, 3});
  runtime->Shutdown();
  EXPECT_EQ(f.get().at(0, 0), 3.0f);
}

}  // namespace
}  // namespace tfjs_run
