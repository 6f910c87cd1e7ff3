// The memory budget: JS past the heap limit or the buffer budget (ArrayBuffers, WebAssembly
// memory) has its call terminated with a memory error naming the bundle; the isolate is
// replaced and everything else is answered. Never a fatal OOM. Bundle:
// tests/fixtures/hostile/memory-bombs.js.
#include <gtest/gtest.h>

#include <future>
#include <vector>

#include "tfjs_run/tfjs_run.h"

namespace tfjs_run {
namespace {

const std::string kBombs = std::string(TFJS_RUN_SOURCE_DIR) + "/tests/fixtures/hostile/memory-bombs.js";

ModelOptions SmallBudget() {
  ModelOptions o;
  o.max_heap_mb = 64;
  o.max_buffer_mb = 128;
  o.log = [](LogLevel, std::string_view) {};
  return o;
}

class MemoryBomb : public ::testing::TestWithParam<std::pair<float, const char*>> {};

TEST_P(MemoryBomb, FailsItsCallWithAMemoryErrorAndTheIsolateIsReplaced) {
  const auto [bomb, says] = GetParam();
  auto model = Model::Load(BundleSource::FromFile(kBombs), SmallBudget());
  const float row[] = {bomb, 0, 0};
  try {
    model->Predict({row, 1, 3});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kMemory) << e.what();
    EXPECT_EQ(e.bundle_name(), "memory-bombs");
    EXPECT_EQ(e.bundle_version(), "3");
    EXPECT_NE(e.message().find(says), std::string::npos) << e.what();
  }
  EXPECT_TRUE(model->broken());
  // A fresh isolate serves; the error state was the call's, not the process's.
  auto fresh = Model::Load(BundleSource::FromFile(kBombs), SmallBudget());
  const float good[] = {4, 5, 6};
  EXPECT_EQ(fresh->Predict({good, 1, 3}).at(0, 0), 15.0f);
  EXPECT_FALSE(fresh->broken());
}

INSTANTIATE_TEST_SUITE_P(
    EachBomb, MemoryBomb,
    ::testing::Values(std::make_pair(21.0f, "JS heap reached its 64 MiB limit"),
                      std::make_pair(22.0f, "JS heap reached its 64 MiB limit"),
                      std::make_pair(23.0f, "over the 128 MiB buffer budget"),
                      std::make_pair(24.0f, "over the 128 MiB buffer budget")),
    [](const ::testing::TestParamInfo<std::pair<float, const char*>>& info) {
      return "row" + std::to_string(static_cast<int>(info.param.first));
    });

TEST(MemoryBudget, APoisonedRowAmongGoodOnesFailsAloneThroughTheRuntime) {
  RuntimeOptions options;
  options.workers = 2;
  options.model = SmallBudget();
  options.max_batch_rows = 8;
  options.chunk_rows = 8;
  auto runtime = Runtime::Start(BundleSource::FromFile(kBombs), options);
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 30; ++i) rows.push_back({i == 11 ? 23.0f : i == 20 ? 22.0f : 100.0f + i, 1, 1});
  std::vector<std::future<DenseMatrix>> futures;
  for (auto& row : rows) futures.push_back(runtime->Submit({row.data(), 1, 3}));
  int answered = 0;
  for (int i = 0; i < 30; ++i) {
    try {
      DenseMatrix out = futures[i].get();
      EXPECT_NE(i, 11);
      EXPECT_NE(i, 20);
      EXPECT_EQ(out.at(0, 0), 102.0f + static_cast<float>(i)) << "row " << i;
      ++answered;
    } catch (const Error& e) {
      EXPECT_TRUE(i == 11 || i == 20) << "row " << i << " failed: " << e.what();
      EXPECT_EQ(e.kind(), ErrorKind::kMemory) << e.what();
    }
  }
  EXPECT_EQ(answered, 28);
  uint64_t recycles = 0;
  for (const auto& w : runtime->Stats().workers) recycles += w.recycles;
  EXPECT_GE(recycles, 2u);
  const float good[] = {4, 5, 6};
  EXPECT_EQ(runtime->Predict({good, 1, 3}).at(0, 0), 15.0f);
}

TEST(MemoryBudget, AnInputLargerThanTheBufferBudgetIsAMemoryErrorNotAnAbort) {
  ModelOptions o = SmallBudget();
  o.max_buffer_mb = 1;
  auto model = Model::Load(BundleSource::FromFile(kBombs), o);
  std::vector<float> rows(3 * 200000, 1.0f);  // 2.3 MiB
  try {
    model->Predict({rows.data(), 200000, 3});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kMemory) << e.what();
    EXPECT_NE(e.message().find("does not fit in the buffer budget"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tfjs_run
