// Runtime: many threads, batching across requests, backpressure, shutdown, error isolation.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

namespace tfjs_run {
namespace {

const std::string kFixtures = TFJS_RUN_FIXTURES_OUT;
const std::string kSource = TFJS_RUN_SOURCE_DIR;

// The wine feature rows as one flat vector.
std::vector<float> ReadCsvValues(const std::string& path, size_t& rows, size_t& cols) {
  DenseMatrix m = cli::ReadCsvFile(path);
  rows = m.rows();
  cols = m.cols();
  return m.values();
}

bool BitEqual(const float* a, const float* b, size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

RuntimeOptions SmallRuntime(size_t workers) {
  RuntimeOptions o;
  o.workers = workers;
  o.max_batch_rows = 32;
  o.max_batch_delay = std::chrono::microseconds(300);
  return o;
}

// 16 threads send single rows and small batches at once; every answer must be, to the bit, what
// one isolate computes for those rows alone (cpu backend).
TEST(RuntimeTest, ConcurrentCallersGetBitExactSingleIsolateResults) {
  size_t rows = 0, cols = 0;
  std::vector<float> data = ReadCsvValues(kFixtures + "/wine.csv", rows, cols);
  const std::string bundle = kFixtures + "/wine-layers-cpu.bundle.js";
  auto single = Model::Load(BundleSource::FromFile(bundle));
  std::vector<DenseMatrix> expected;
  for (size_t r = 0; r < rows; ++r) expected.push_back(single->Predict({data.data() + r * cols, 1, cols}));

  auto runtime = Runtime::Start(BundleSource::FromFile(bundle), SmallRuntime(2));
  ASSERT_EQ(runtime->workers(), 2u);
  std::atomic<int> mismatches{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 60; ++i) {
        const size_t first = rng() % rows;
        const size_t n = std::min<size_t>(1 + (t % 2 ? rng() % 5 : 0), rows - first);
        DenseMatrix out = (i % 2) ? runtime->Predict({data.data() + first * cols, n, cols})
                                  : runtime->Submit({data.data() + first * cols, n, cols}).get();
        for (size_t r = 0; r < n; ++r) {
          if (out.cols() != 3 || !BitEqual(out.row(r).data(), expected[first + r].data(), 3)) ++mismatches;
        }
        ++done;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(done.load(), 16 * 60);
  RuntimeStats stats = runtime->Stats();
  uint64_t batches = 0, requests = 0;
  for (const auto& w : stats.workers) { batches += w.batches; requests += w.requests; }
  EXPECT_EQ(requests, 16u * 60u);
  EXPECT_LT(batches, requests) << "requests from different callers were never batched together";
  EXPECT_GT(stats.latency.p99_us, 0);
  // Each worker reports its own thread's CPU time: some, since it ran predicts (the load is
  // CPU-bound; 0.2 of its predict time leaves room for a loaded machine and sanitizers), and
  // together no more than the whole process used (a process-wide clock would count it twice).
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double process_cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                             static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  double workers_cpu = 0;
  for (const auto& w : stats.workers) {
    workers_cpu += w.cpu_seconds;
    if (w.batches == 0) continue;
    EXPECT_GT(w.cpu_seconds, 0.0) << "worker " << w.worker;
    EXPECT_GE(w.cpu_seconds, 0.2 * w.busy_seconds) << "worker " << w.worker;
  }
  EXPECT_LE(workers_cpu, process_cpu);
}

// RuntimeOptions::spin (latency mode): workers and blocking callers poll before they sleep. The
// answers are the same bits, control messages (a reload) still get through, and shutdown still
// drains.
TEST(RuntimeTest, LatencyModeSpinsButAnswersReloadsAndShutsDownAsUsual) {
  size_t rows = 0, cols = 0;
  std::vector<float> data = ReadCsvValues(kFixtures + "/random.csv", rows, cols);
  const std::string bundle = kFixtures + "/wine-noapp.bundle.js";
  auto single = Model::Load(BundleSource::FromFile(bundle));
  const DenseMatrix expected = single->Predict({data.data(), rows, cols});
  RuntimeOptions options = SmallRuntime(2);
  options.spin = std::chrono::microseconds(200);
  auto runtime = Runtime::Start(BundleSource::FromFile(bundle), options);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (size_t r = static_cast<size_t>(t); r < rows; r += 3) {
        const DenseMatrix out = runtime->Predict({data.data() + r * cols, 1, cols});
        if (!BitEqual(out.row(0).data(), expected.row(r).data(), expected.cols())) ++mismatches;
      }
    });
  }
  const ReloadResult reload = runtime->Reload(BundleSource::FromFile(bundle), "spin-2");
  for (auto& th : threads) th.join();
  EXPECT_TRUE(reload.ok) << reload.error;
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(runtime->info().version, "spin-2");
  std::future<DenseMatrix> last = runtime->Submit({data.data(), rows, cols});
  runtime.reset();  // shutdown with a request in flight and idle workers spinning
  EXPECT_EQ(last.get().rows(), rows);
}

// |got - tfjs| / (1 + |tfjs|), the worst over `got`'s values (docs/native.md's parity measure).
double WorstAgainst(const DenseMatrix& got, const DenseMatrix& ref, size_t first_ref_row) {
  double worst = 0;
  for (size_t r = 0; r < got.rows(); ++r) {
    for (size_t c = 0; c < got.cols(); ++c) {
      const double e = ref.at(first_ref_row + r, c);
      worst = std::max(worst, std::fabs(double(got.at(r, c)) - e) / (1 + std::fabs(e)));
    }
  }
  return worst;
}

// RuntimeOptions::caller_runs: a blocking Predict of a model that runs natively with no JS runs
// on the calling thread with an idle worker's model. Answers are tfjs's in Node (within the
// unit-case rule, 1e-5) either way; the workers' stats count every call and say which ran on
// the caller's thread; a request larger than max_batch_rows, Submit, and a model whose predict
// enters JS always queue.
TEST(RuntimeTest, ABlockingPredictOfAJsFreeNativeModelRunsOnTheCallersThreadAndAnswersAsTfjs) {
  const DenseMatrix wine = cli::ReadCsvFile(kFixtures + "/wine.csv");
  const DenseMatrix ref = cli::ReadCsvFile(kFixtures + "/ref-wine-std-cpu.csv");
  ASSERT_EQ(wine.rows(), ref.rows());
  for (bool caller_runs : {true, false}) {
    SCOPED_TRACE(caller_runs ? "caller_runs" : "queued");
    RuntimeOptions o;
    o.workers = 2;
    o.caller_runs = caller_runs;
    auto runtime = Runtime::Start(BundleSource::FromFile(kFixtures + "/wine-std-cpu.bundle.js"), o);
    ASSERT_EQ(runtime->info().model_exec, "native") << runtime->info().model_exec_note;
    std::atomic<int> wrong{0}, small_calls{0};
    std::atomic<uint64_t> rows_sent{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t) {
      callers.emplace_back([&, t] {
        std::mt19937 rng(t);
        for (int i = 0; i < 150; ++i) {
          const size_t n = 1 + rng() % 7;
          const size_t r = rng() % (wine.rows() - n);
          DenseMatrix p;
          if (i % 50 == 49) {  // all 178 rows: more than max_batch_rows, so queued
            p = runtime->Predict(wine.view());
            if (WorstAgainst(p, ref, 0) > 1e-5) ++wrong;
            rows_sent += wine.rows();
            continue;
          }
          if (i % 10 == 9) {  // Submit queues
            p = runtime->Submit(wine.view().slice_rows(r, n)).get();
          } else {
            Prediction v = runtime->PredictVersioned(wine.view().slice_rows(r, n));
            if (v.bundle_version != runtime->info().version) ++wrong;
            p = std::move(v.output);
            ++small_calls;
          }
          if (p.rows() != n || WorstAgainst(p, ref, r) > 1e-5) ++wrong;
          rows_sent += n;
        }
      });
    }
    for (auto& c : callers) c.join();
    EXPECT_EQ(wrong.load(), 0);
    const RuntimeStats stats = runtime->Stats();
    uint64_t rows = 0, caller_batches = 0;
    for (const WorkerStats& w : stats.workers) {
      rows += w.rows;
      caller_batches += w.caller_batches;
    }
    EXPECT_EQ(stats.requests.count, 600u);  // every call, answered once, wherever it ran
    EXPECT_EQ(stats.requests.failed, 0u);
    EXPECT_EQ(rows, rows_sent.load());
    if (caller_runs) {
      EXPECT_GT(caller_batches, 0u);
      EXPECT_LE(caller_batches, static_cast<uint64_t>(small_calls.load()));
    } else {
      EXPECT_EQ(caller_batches, 0u);
    }
  }
  // The same model with its pre-processing as JS functions: every call enters JS, so it queues.
  auto wrapped = Runtime::Start(BundleSource::FromFile(kFixtures + "/wine-layers-cpu.bundle.js"), RuntimeOptions{});
  for (int i = 0; i < 20; ++i) wrapped->Predict(wine.view().slice_rows(i, 1));
  for (const WorkerStats& w : wrapped->Stats().workers) EXPECT_EQ(w.caller_batches, 0u);
  EXPECT_EQ(wrapped->Stats().requests.count, 20u);
}

// On the caller's thread, a request is checked as a queued one is: a wrong width is refused,
// naming the width the bundle expects, before anything runs; the next good call still runs there.
TEST(RuntimeTest, ACallerRunCallFailsAsAQueuedOneWould) {
  RuntimeOptions o;
  o.workers = 1;
  auto runtime = Runtime::Start(BundleSource::FromFile(kFixtures + "/wine-std-cpu.bundle.js"), o);
  std::vector<float> row(12, 0.0f);
  try {
    runtime->Predict({row.data(), 1, 12});
    FAIL() << "a 12-column row was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kShape);
    EXPECT_NE(std::string(e.what()).find("13"), std::string::npos) << e.what();
  }
  row.assign(13, 1.0f);
  EXPECT_EQ(runtime->Predict({row.data(), 1, 13}).rows(), 1u);
  uint64_t caller_batches = 0;
  for (const WorkerStats& w : runtime->Stats().workers) caller_batches += w.caller_batches;
  EXPECT_EQ(caller_batches, 1u);
}

TEST(RuntimeTest, ABigRequestIsSplitIntoChunksAndComesBackInOrder) {
  size_t rows = 0, cols = 0;
  std::vector<float> data = ReadCsvValues(kFixtures + "/wine.csv", rows, cols);
  const std::string bundle = kFixtures + "/wine-layers-cpu.bundle.js";
  auto single = Model::Load(BundleSource::FromFile(bundle));
  DenseMatrix expected = single->Predict({data.data(), rows, cols});
  RuntimeOptions o = SmallRuntime(2);
  o.chunk_rows = 16;
  auto runtime = Runtime::Start(BundleSource::FromFile(bundle), o);
  DenseMatrix out = runtime->Predict({data.data(), rows, cols});
  ASSERT_EQ(out.rows(), rows);
  EXPECT_TRUE(BitEqual(out.data(), expected.data(), expected.size()));
  uint64_t chunks = 0;
  for (const auto& w : runtime->Stats().workers) chunks += w.requests;
  EXPECT_EQ(chunks, (rows + 15) / 16);
}

TEST(RuntimeTest, WrongWidthIsRefusedBeforeQueueing) {
  auto runtime = Runtime::Start(BundleSource::FromFile(kSource + "/tests/fixtures/probe.js"), SmallRuntime(1));
  std::vector<float> row(4, 1.0f);
  try {
    runtime->Submit({row.data(), 1, 4});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kShape);
  }
  EXPECT_EQ(runtime->Stats().workers[0].batches, 0u);
}

// A flood against a tiny queue: TrySubmit refuses cleanly, the queue never holds more than its
// limit, and every accepted request completes with the right answer.
TEST(RuntimeTest, OverloadRefusesCleanlyAndStaysBounded) {
  RuntimeOptions o = SmallRuntime(1);
  o.max_queue_rows = 8;
  o.max_batch_delay = std::chrono::microseconds(0);
  auto runtime = Runtime::Start(BundleSource::FromFile(kSource + "/tests/fixtures/probe.js"), o);
  std::vector<std::pair<float, std::future<DenseMatrix>>> accepted;
  int refused = 0;
  for (int i = 0; i < 20000; ++i) {
    float row[3] = {static_cast<float>(i % 1000) + 0.5f, 1, 1};
    try {
      accepted.emplace_back(row[0] + 2, runtime->TrySubmit({row, 1, 3}));
    } catch (const Error& e) {
      ASSERT_EQ(e.kind(), ErrorKind::kOverloaded) << e.what();
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  for (auto& [sum, f] : accepted) EXPECT_FLOAT_EQ(f.get().at(0, 0), sum);
  RuntimeStats stats = runtime->Stats();
  EXPECT_LE(stats.max_queue_rows_seen, 8u);
  EXPECT_EQ(stats.rejected_overloaded, static_cast<uint64_t>(refused));
  EXPECT_EQ(stats.workers[0].requests, accepted.size());
}

TEST(RuntimeTest, SubmitBlocksWhenFullInsteadOfGrowing) {
  RuntimeOptions o = SmallRuntime(1);
  o.max_queue_rows = 4;
  auto runtime = Runtime::Start(BundleSource::FromFile(kSource + "/tests/fixtures/probe.js"), o);
  std::vector<std::future<DenseMatrix>> futures;
  for (int i = 0; i < 2000; ++i) {
    float row[3] = {1, 2, static_cast<float>(i)};
    futures.push_back(runtime->Submit({row, 1, 3}));
  }
  for (int i = 0; i < 2000; ++i) EXPECT_FLOAT_EQ(futures[i].get().at(0, 0), 3.0f + i);
  EXPECT_LE(runtime->Stats().max_queue_rows_seen, 4u);
}

// Shutdown with requests in flight: each completes exactly once, none is dropped.
TEST(RuntimeTest, ShutdownDrainsEveryAcceptedRequestExactlyOnce) {
  auto runtime = Runtime::Start(BundleSource::FromFile(kSource + "/tests/fixtures/probe.js"), SmallRuntime(2));
  constexpr int kRequests = 3000;
  std::vector<std::atomic<int>> answered(kRequests);
  std::atomic<int> wrong{0};
  for (int i = 0; i < kRequests; ++i) {
    float row[3] = {static_cast<float>(i) + 0.25f, 0, 0};
    runtime->Submit({row, 1, 3}, [&, i](Prediction p, std::exception_ptr error) {
      if (error || p.output.at(0, 0) != static_cast<float>(i) + 0.25f || p.bundle_version != "1.0.0") ++wrong;
      ++answered[i];
    });
  }
  runtime->Shutdown();
  for (int i = 0; i < kRequests; ++i) ASSERT_EQ(answered[i].load(), 1) << "request " << i;
  EXPECT_EQ(wrong.load(), 0);
  float row[3] = {1, 1, 1};
  try {
    runtime->Predict({row, 1, 3});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kShutdown);
  }
}

// probe.js throws for a row starting with 13. Only the request holding it fails; requests
// batched with it get their answers, and the workers keep serving.
TEST(RuntimeTest, AJsErrorFailsOnlyTheRequestsThatCauseIt) {
  RuntimeOptions o = SmallRuntime(1);
  o.max_batch_delay = std::chrono::milliseconds(20);  // make sure they share a batch
  auto runtime = Runtime::Start(BundleSource::FromFile(kSource + "/tests/fixtures/probe.js"), o);
  std::vector<std::future<DenseMatrix>> futures;
  for (int i = 0; i < 9; ++i) {
    float row[3] = {i == 4 ? 13.0f : static_cast<float>(i), 1, 1};
    futures.push_back(runtime->Submit({row, 1, 3}));
  }
  for (int i = 0; i < 9; ++i) {
    if (i == 4) {
      try {
        futures[i].get();
        FAIL();
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kPredict);
        EXPECT_NE(e.message().find("unlucky row"), std::string::npos);
      }
    } else {
      EXPECT_FLOAT_EQ(futures[i].get().at(0, 0), i + 2.0f);
    }
  }
  RuntimeStats stats = runtime->Stats();
  EXPECT_GE(stats.workers[0].failed_batches, 1u);
  float row[3] = {1, 1, 1};
  EXPECT_FLOAT_EQ(runtime->Predict({row, 1, 3}).at(0, 0), 3.0f);
}

TEST(RuntimeTest, AFailingBundleFailsStartWithTheLoadError) {
  RuntimeOptions o = SmallRuntime(2);
  try {
    Runtime::Start(BundleSource::FromFile(kSource + "/tests/fixtures/bad/load-throws.js"), o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBundleLoad);
  }
}

TEST(RuntimeTest, TheCodeCacheIsMadeByTheFirstWorkerAndReusedAcrossStarts) {
  const std::string dir = std::filesystem::temp_directory_path() / ("tfjs-run-cache-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  RuntimeOptions o = SmallRuntime(2);
  o.code_cache_dir = dir;
  const auto source = BundleSource::FromFile(kFixtures + "/wine-layers-wasm.bundle.js");
  {
    auto first = Runtime::Start(source, o);
    RuntimeStats s = first->Stats();
    EXPECT_FALSE(s.workers[0].code_cache_accepted);  // nothing on disk yet
    EXPECT_TRUE(s.workers[1].code_cache_accepted);   // made by worker 0
  }
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) files += e.path().extension() == ".v8cache";
  EXPECT_EQ(files, 1u);
  {
    auto second = Runtime::Start(source, o);
    RuntimeStats s = second->Stats();
    EXPECT_TRUE(s.workers[0].code_cache_accepted);
    EXPECT_TRUE(s.workers[1].code_cache_accepted);
    std::vector<float> row(13, 0.0f);
    EXPECT_EQ(second->Predict({row.data(), 1, 13}).cols(), 3u);
    // A reloaded version leaves its cache on disk too, for the next start.
    ReloadResult r = second->Reload(BundleSource::FromFile(kFixtures + "/wine-layers-cpu.bundle.js"), "cpu-1");
    ASSERT_TRUE(r.ok) << r.error;
  }
  files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) files += e.path().extension() == ".v8cache";
  EXPECT_EQ(files, 2u);
  std::filesystem::remove_all(dir);
}

TEST(RuntimeTest, WorkersArePinnedToAllowedCpus) {
  auto runtime = Runtime::Start(BundleSource::FromFile(kSource + "/tests/fixtures/probe.js"), RuntimeOptions{});
  RuntimeStats s = runtime->Stats();
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
  EXPECT_EQ(s.workers.size(), static_cast<size_t>(CPU_COUNT(&allowed)));
  // A worker per allowed CPU (the default pinning, AUTO, pins then): each on a CPU of the mask,
  // no two on one.
  std::set<int> cpus;
  for (const auto& w : s.workers) {
    ASSERT_GE(w.cpu, 0) << "worker " << w.worker << " is not pinned";
    EXPECT_TRUE(CPU_ISSET(w.cpu, &allowed)) << "worker " << w.worker << " on CPU " << w.cpu << ", outside the mask";
    cpus.insert(w.cpu);
  }
  EXPECT_EQ(cpus.size(), s.workers.size());
}

TEST(OptionRangeTest, EveryDefaultIsInItsRangeAndAValueOutsideNamesTheOptionAndTheRange) {
  const RuntimeOptions r;
  EXPECT_TRUE(RuntimeOptions::kWorkers.Contains(static_cast<int64_t>(r.workers)));
  EXPECT_TRUE(RuntimeOptions::kMaxBatchRows.Contains(static_cast<int64_t>(r.max_batch_rows)));
  EXPECT_TRUE(RuntimeOptions::kMaxBatchDelayUs.Contains(r.max_batch_delay.count()));
  EXPECT_TRUE(RuntimeOptions::kSpinUs.Contains(r.spin.count()));
  EXPECT_TRUE(RuntimeOptions::kChunkRows.Contains(static_cast<int64_t>(r.chunk_rows)));
  EXPECT_TRUE(RuntimeOptions::kMaxQueueRows.Contains(static_cast<int64_t>(r.max_queue_rows)));
  EXPECT_TRUE(RuntimeOptions::kReloadNice.Contains(r.reload_nice));
  EXPECT_TRUE(RuntimeOptions::kRollbackWindowMs.Contains(r.rollback_window.count()));
  EXPECT_TRUE(RuntimeOptions::kRollbackWindowBatches.Contains(static_cast<int64_t>(r.rollback_window_batches)));
  EXPECT_TRUE(ModelOptions::kLoadTimeoutMs.Contains(r.model.load_timeout.count()));
  EXPECT_TRUE(ModelOptions::kPredictTimeoutMs.Contains(r.model.predict_timeout.count()));
  EXPECT_TRUE(ModelOptions::kMaxHeapMb.Contains(static_cast<int64_t>(r.model.max_heap_mb)));
  EXPECT_TRUE(ModelOptions::kMaxBufferMb.Contains(static_cast<int64_t>(r.model.max_buffer_mb)));
  const WatchOptions w;
  EXPECT_TRUE(WatchOptions::kPollIntervalMs.Contains(w.poll_interval.count()));
  EXPECT_TRUE(WatchOptions::kConnectTimeoutMs.Contains(w.connect_timeout.count()));
  EXPECT_TRUE(WatchOptions::kTotalTimeoutMs.Contains(w.total_timeout.count()));
  EXPECT_TRUE(WatchOptions::kMaxBundleBytes.Contains(static_cast<int64_t>(w.max_bundle_bytes)));
  EXPECT_TRUE(WatchOptions::kMaxBackoffMs.Contains(w.max_backoff.count()));

  try {
    RuntimeOptions::kMaxBatchRows.Check("--max-batch-rows", 0);
    FAIL() << "0 rows was accepted";
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "--max-batch-rows must be in [1, 16777216], got 0");
  }
  // max_heap_mb: 0 (V8's default) or at least 16.
  EXPECT_NO_THROW(ModelOptions::kMaxHeapMb.Check("max_heap_mb", 0));
  EXPECT_NO_THROW(ModelOptions::kMaxHeapMb.Check("max_heap_mb", 16));
  try {
    ModelOptions::kMaxHeapMb.Check("max_heap_mb", 15);
    FAIL() << "15 MiB was accepted";
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "max_heap_mb must be 0 or in [16, 1048576], got 15");
  }
}

}  // namespace
}  // namespace tfjs_run
