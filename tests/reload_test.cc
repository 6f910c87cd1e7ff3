// Hot reload: push reloads, a real HTTP file server with every kind of fault, continuous load
// during a switch, and memory after many reloads.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <future>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "row_io.h"
#include "test_bundles.h"
#include "tfjs_run/tfjs_run.h"

namespace tfjs_run {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace tfjs_run::test_support;


// Publishes with the project's own publishing tool (`load_check` false: without loading the
// bundle first, for one that does not load).
void Publish(const std::string& dir, int number, const std::string& text, bool load_check = true) {
  const std::string file = dir + "/.staging-" + std::to_string(number) + ".js";
  WriteFile(file, text);
  const std::string cmd = "TFJS_RUN=" TFJS_RUN_BINARY " bash " + kSource + "/tools/publish-bundle.sh " +
                          (load_check ? "" : "--no-load-check ") + file + " " + dir + " " +
                          std::to_string(number) + " '[[1,2,3]]' 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  fs::remove(file);
}

// tests/fixture_server.py on 127.0.0.1, an ephemeral port (or a given one to restart on).
class FixtureServer {
 public:
  explicit FixtureServer(const std::string& dir, int port = 0, const std::string& cert = "", const std::string& key = "") {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      std::string script = kSource + "/tests/fixture_server.py";
      std::string port_arg = std::to_string(port);
      if (cert.empty()) {
        ::execlp("python3", "python3", script.c_str(), dir.c_str(), "--port", port_arg.c_str(), nullptr);
      } else {
        ::execlp("python3", "python3", script.c_str(), dir.c_str(), "--port", port_arg.c_str(), "--tls", cert.c_str(),
                 key.c_str(), nullptr);
      }
      ::_exit(127);
    }
    ::close(fds[1]);
    FILE* out = ::fdopen(fds[0], "r");
    char line[64] = {0};
    if (std::fgets(line, sizeof line, out)) std::sscanf(line, "PORT %d", &port_);
    std::fclose(out);
    EXPECT_GT(port_, 0) << "fixture server did not start";
  }
  ~FixtureServer() { Stop(); }
  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  int port() const { return port_; }
  std::string url(const char* scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_);
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// Keeps requests flowing from a few threads and checks every answer: no error, and every row
// computed by the version the result names.
class Load {
 public:
  explicit Load(Runtime& runtime, int threads = 3) : runtime_(runtime) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, t] {
        std::vector<float> rows = {1, 2, 3, 4, 5, 6, static_cast<float>(t), 0, 0};
        while (!stop_) {
          // The callback runs on the worker that finished the request, in that worker's order of
          // completion: recording there makes "no v1 after v2 on a worker" an exact check.
          std::promise<void> done;
          try {
            runtime_.Submit({rows.data(), 3, 3}, [&](Prediction p, std::exception_ptr error) {
              std::lock_guard lock(mu_);
              if (error) {
                ++failed_;
                try { std::rethrow_exception(error); } catch (const std::exception& e) { last_error_ = e.what(); }
              } else {
                const int number = std::stoi(p.bundle_version);
                for (size_t r = 0; r < 3; ++r) {
                  float sum = rows[r * 3] + rows[r * 3 + 1] + rows[r * 3 + 2];
                  if (p.output.at(r, 1) != number || p.output.at(r, 0) != sum * 1000 + number) ++mixed_;
                }
                per_worker_[p.worker].push_back(number);
                ++answered_;
              }
              done.set_value();
            });
            done.get_future().wait();
          } catch (const std::exception& e) {
            std::lock_guard lock(mu_);
            ++failed_;
            last_error_ = e.what();
          }
        }
      });
    }
  }
  ~Load() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) if (t.joinable()) t.join();
  }
  // Stops the load and checks what every reload test asks of it: no request failed, every
  // answer came whole from the version it names, and no worker went back to an older version.
  void StopAndExpectEveryAnswerRight() {
    Stop();
    EXPECT_EQ(failed(), 0) << last_error();
    EXPECT_EQ(mixed(), 0);
    EXPECT_TRUE(VersionsNeverGoBack());
  }
  int failed() const { return failed_; }
  int mixed() const { return mixed_; }
  int answered() const { return answered_; }
  std::string last_error() const { return last_error_; }
  // Per worker, the versions it answered with, in its order of completion: a v1 answer after a
  // v2 answer on the same worker would break the order.
  bool VersionsNeverGoBack() const {
    std::lock_guard lock(mu_);
    for (auto& [worker, versions] : per_worker_) {
      for (size_t i = 1; i < versions.size(); ++i) {
        if (versions[i] < versions[i - 1]) return false;
      }
    }
    return true;
  }

 private:
  Runtime& runtime_;
  std::atomic<bool> stop_{false};
  std::atomic<int> failed_{0}, mixed_{0}, answered_{0};
  mutable std::mutex mu_;
  std::map<size_t, std::vector<int>> per_worker_;
  std::string last_error_;
  std::vector<std::thread> threads_;
};

bool AllWorkersOn(Runtime& runtime, const std::string& version) {
  for (const auto& w : runtime.Stats().workers) {
    if (w.version != version) return false;
  }
  return true;
}

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

RuntimeOptions TwoWorkers() {
  RuntimeOptions o;
  o.workers = 2;
  return o;
}

TEST(ReloadTest, APushReloadSwitchesEveryWorkerAndResultsSayTheirVersion) {
  auto runtime = Runtime::Start(Source(Versioned(1)), TwoWorkers());
  std::vector<float> row = {1, 2, 3};
  EXPECT_EQ(runtime->PredictVersioned({row.data(), 1, 3}).bundle_version, "1");
  ReloadResult r = runtime->Reload(Source(Versioned(2)));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.version, "2");
  EXPECT_EQ(r.worker_load_ms.size(), 2u);
  EXPECT_EQ(r.worker_switch_ms.size(), 2u);
  EXPECT_TRUE(AllWorkersOn(*runtime, "2"));
  Prediction p = runtime->PredictVersioned({row.data(), 1, 3});
  EXPECT_EQ(p.bundle_version, "2");
  EXPECT_FLOAT_EQ(p.output.at(0, 0), 6002);
  EXPECT_EQ(runtime->info().version, "2");
  EXPECT_EQ(runtime->Stats().reloads_ok, 1u);
}

TEST(ReloadTest, ABrokenPushKeepsTheCurrentVersionAndIsMarkedBad) {
  auto runtime = Runtime::Start(Source(Versioned(1)), TwoWorkers());
  Load load(*runtime);
  struct Case { std::string text; std::string version; std::string expect; };
  std::vector<Case> cases = {
      {Versioned(3, "load-throws"), "3", "version 3 cannot load"},
      {Versioned(4, "warmup-throws"), "4", "version 4 cannot predict"},
      {"globalThis.tfjsRunBundle = {", "5", "SyntaxError"},
      {"globalThis.x = 1;", "6", "no known contract"},
  };
  for (const auto& c : cases) {
    ReloadResult r = runtime->Reload(Source(c.text, "pushed.js"), c.version);
    EXPECT_FALSE(r.ok) << c.version;
    EXPECT_NE(r.error.find("reload to version " + c.version), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(c.expect), std::string::npos) << r.error;
    EXPECT_TRUE(AllWorkersOn(*runtime, "1"));
  }
  ReloadResult again = runtime->Reload(Source(Versioned(3)), "3");
  EXPECT_FALSE(again.ok);
  EXPECT_NE(again.error.find("marked bad"), std::string::npos) << again.error;
  ReloadResult good = runtime->Reload(Source(Versioned(7)));
  EXPECT_TRUE(good.ok) << good.error;
  EXPECT_TRUE(AllWorkersOn(*runtime, "7"));
  std::this_thread::sleep_for(50ms);
  load.StopAndExpectEveryAnswerRight();
  EXPECT_GT(load.answered(), 0);
  EXPECT_EQ(runtime->Stats().reloads_failed, 4u);  // the refusal of a bad version is not an attempt
}

// Warm-up uses the pushed sample, else the bundle's own sampleInput, else zeros.
TEST(ReloadTest, WarmUpUsesTheBundlesDeclaredSampleInput) {
  auto runtime = Runtime::Start(Source(Versioned(1)), TwoWorkers());
  std::string no_sample = std::regex_replace(Versioned(2, "needs-sample"), std::regex("sampleInput: [^\\n]*\\n"), "");
  ReloadResult without = runtime->Reload(Source(no_sample), "2");
  EXPECT_FALSE(without.ok);
  EXPECT_NE(without.error.find("zeros are not a valid row"), std::string::npos) << without.error;
  ReloadResult with_declared = runtime->Reload(Source(Versioned(3, "needs-sample")));
  EXPECT_TRUE(with_declared.ok) << with_declared.error;
  ReloadResult with_pushed = runtime->Reload(Source(no_sample), "4", {4, 5, 6});
  EXPECT_TRUE(with_pushed.ok) << with_pushed.error;
  EXPECT_TRUE(AllWorkersOn(*runtime, "4"));
}

// Requests split into one-row chunks across two workers, while versions switch back to back:
// a request whose chunks ran on both sides of a switch is recomputed whole, so every answer
// still comes from exactly one version.
TEST(ReloadTest, ChunkedRequestsThatStraddleASwitchAreRecomputedWhole) {
  RuntimeOptions o = TwoWorkers();
  o.chunk_rows = 1;      // every row its own chunk,
  o.max_batch_rows = 1;  // and its own predict call, so both workers share each request
  auto runtime = Runtime::Start(Source(Versioned(1)), o);
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0}, mixed{0}, answered{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([&, t] {
      std::vector<float> rows(8 * 3);
      for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>((i + t) % 5);
      while (!stop) {
        try {
          Prediction p = runtime->PredictVersioned({rows.data(), 8, 3});
          const int number = std::stoi(p.bundle_version);
          for (size_t r = 0; r < 8; ++r) {
            if (p.output.at(r, 1) != number) ++mixed;
          }
          ++answered;
        } catch (...) {
          ++failed;
        }
      }
    });
  }
  // Switch until some request has straddled a switch (it takes a few; give up after 300).
  for (int v = 2; v <= 300 && (v <= 30 || runtime->Stats().recomputed == 0); ++v) {
    ReloadResult r = runtime->Reload(Source(Versioned(v)));
    ASSERT_TRUE(r.ok) << r.error;
  }
  stop = true;
  for (auto& c : callers) c.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(runtime->Stats().queue_rows, 0u);  // nothing lost track of in the queue accounting
  EXPECT_GT(runtime->Stats().recomputed, 0u) << "no request straddled a switch: the test checked nothing";
  std::printf("%d answers, %llu recomputed after straddling a switch\n", answered.load(),
              static_cast<unsigned long long>(runtime->Stats().recomputed));
}

TEST(ReloadTest, AReloadThatChangesTheInputWidthIsRefused) {
  auto runtime = Runtime::Start(Source(Versioned(1)), TwoWorkers());
  std::string wider = std::regex_replace(Versioned(2), std::regex("inputShape: \\[null, 3\\]"), "inputShape: [null, 4]");
  ReloadResult r = runtime->Reload(Source(wider));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("change of input width"), std::string::npos) << r.error;
}

TEST(ReloadTest, AReloadThatRenamesOrReordersTheFeaturesIsRefused) {
  auto named = [](int v, const std::string& names) {
    return std::regex_replace(Versioned(v), std::regex("inputShape: \\[null, 3\\],"),
                              "inputShape: [null, 3], featureNames: " + names + ",");
  };
  auto runtime = Runtime::Start(Source(named(1, "['a', 'b', 'c']")), TwoWorkers());
  ASSERT_EQ(runtime->info().feature_names, (std::vector<std::string>{"a", "b", "c"}));
  ReloadResult r = runtime->Reload(Source(named(2, "['b', 'a', 'c']")));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("names its features otherwise than the running version"), std::string::npos) << r.error;
  r = runtime->Reload(Source(Versioned(3)));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("declares no feature names"), std::string::npos) << r.error;
  r = runtime->Reload(Source(named(4, "['a', 'b', 'c']")));
  EXPECT_TRUE(r.ok) << r.error;
  // Names where there were none: rows were positional, and stay so.
  auto unnamed = Runtime::Start(Source(Versioned(1)), TwoWorkers());
  r = unnamed->Reload(Source(named(2, "['a', 'b', 'c']")));
  EXPECT_TRUE(r.ok) << r.error;
}

// Publish v2 on a real HTTP server while requests flow: every worker moves to v2 in time, no
// request fails, each answer is all-v1 or all-v2, and no worker answers v1 after v2.
TEST(ReloadTest, UnderLoadAPublishedVersionReachesEveryWorkerWithoutAFailedRequest) {
  TempDir dir;
  Publish(dir.path, 1, Versioned(1));
  FixtureServer server(dir.path);
  WatchOptions watch;
  watch.source = server.url();
  watch.poll_interval = 100ms;
  watch.log = [](LogLevel, std::string_view) {};
  PublishedBundle first = FetchPublishedBundle(watch);
  EXPECT_EQ(first.version, "1");
  auto runtime = Runtime::Start(first.source, TwoWorkers());
  runtime->Watch(watch);
  Load load(*runtime, 4);
  std::this_thread::sleep_for(200ms);
  const auto published = std::chrono::steady_clock::now();
  Publish(dir.path, 2, Versioned(2));
  // The bound is for liveness, not speed: the workers load v2 at reload_nice 10 while the load
  // keeps the other worker busy, so on a saturated machine (2 cores, ctest -j2, a sanitizer) a
  // loading thread gets about a tenth of a core. A CI run once took more than 10 s.
  ASSERT_TRUE(WaitFor([&] { return AllWorkersOn(*runtime, "2"); }, 45s)) << [&] {
    RuntimeStats s = runtime->Stats();
    std::string on;
    for (const auto& w : s.workers) on += " " + w.version;
    return "workers on:" + on + "; downloads " + std::to_string(s.watch.downloads) + ", failures " +
           std::to_string(s.watch.failures) + " (" + s.watch.last_error + "), last reload error: " +
           s.watch.last_reload.error;
  }();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - published).count();
  std::this_thread::sleep_for(200ms);
  load.StopAndExpectEveryAnswerRight();
  EXPECT_GT(load.answered(), 100);
  RuntimeStats stats = runtime->Stats();
  EXPECT_EQ(stats.watch.downloads, 1u);
  EXPECT_GE(stats.watch.unchanged, 1u);  // polls of an unchanged manifest (304 or same version)
  EXPECT_EQ(stats.watch.failures, 0u) << stats.watch.last_error;
  std::printf("publish to all workers on v2: %.0f ms\n", ms);
}

// With callers running a JS-free native model on their own threads (RuntimeOptions::caller_runs)
// and no grace window, pushed reloads alternate two models of one width while requests flow: no
// request fails, and every answer is what tfjs in Node gives for the model of the version the
// answer names: the wine model with its declared standardize ("std-N"), or alone ("raw-N"), on
// rows where the two disagree.
TEST(ReloadTest, UnderLoadCallerRunCallsFollowEachSwitchAndEveryAnswerIsItsVersions) {
  const DenseMatrix wine = cli::ReadCsvFile(kFixtures + "/wine.csv");
  const DenseMatrix ref_std = cli::ReadCsvFile(kFixtures + "/ref-wine-std-cpu.csv");
  const DenseMatrix ref_raw = cli::ReadCsvFile(kFixtures + "/ref-wine-noapp-on-wine.csv");
  std::vector<size_t> rows;  // where the two models' answers differ by more than 0.1
  for (size_t r = 0; r < wine.rows(); ++r) {
    for (size_t c = 0; c < ref_std.cols(); ++c) {
      if (std::fabs(ref_std.at(r, c) - ref_raw.at(r, c)) > 0.1f) {
        rows.push_back(r);
        break;
      }
    }
  }
  ASSERT_GT(rows.size(), 50u);
  const BundleSource std_bundle = BundleSource::FromFile(kFixtures + "/wine-std-cpu.bundle.js");
  const BundleSource raw_bundle = BundleSource::FromFile(kFixtures + "/wine-noapp.bundle.js");
  RuntimeOptions o = TwoWorkers();
  o.rollback_window = 0ms;  // no grace window: callers may run on their threads right after a switch
  o.rollback_window_batches = 0;
  auto runtime = Runtime::Start(std_bundle, "std-0", {}, o);
  ASSERT_EQ(runtime->info().model_exec, "native");
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0}, failed{0}, by_std{0}, by_raw{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([&, t] {
      std::mt19937 rng(t);
      while (!stop.load()) {
        const size_t r = rows[rng() % rows.size()];
        try {
          Prediction p = runtime->PredictVersioned(wine.view().slice_rows(r, 1));
          const bool is_std = p.bundle_version.rfind("std-", 0) == 0;
          const DenseMatrix& ref = is_std ? ref_std : ref_raw;
          ++(is_std ? by_std : by_raw);
          for (size_t c = 0; c < ref.cols(); ++c) {
            if (std::fabs(p.output.at(0, c) - ref.at(r, c)) > 1e-5f * (1 + std::fabs(ref.at(r, c)))) ++wrong;
          }
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
  }
  for (int i = 1; i <= 6; ++i) {
    std::this_thread::sleep_for(50ms);
    const bool to_std = i % 2 == 0;
    ReloadResult r = runtime->Reload(to_std ? std_bundle : raw_bundle, (to_std ? "std-" : "raw-") + std::to_string(i));
    ASSERT_TRUE(r.ok) << r.error;
  }
  std::this_thread::sleep_for(50ms);
  stop = true;
  for (auto& c : callers) c.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(by_std.load(), 0);
  EXPECT_GT(by_raw.load(), 0);
  uint64_t caller_batches = 0;
  for (const WorkerStats& w : runtime->Stats().workers) {
    caller_batches += w.caller_batches;
    EXPECT_EQ(w.version, "std-6");
  }
  EXPECT_GT(caller_batches, 0u);
  EXPECT_EQ(runtime->Stats().requests.count, static_cast<uint64_t>(by_std.load() + by_raw.load()));
}

// Starting from a published layout is one call: it serves under the manifest's version name
// (the bundle declares another), checks the manifest's answers before any request, and follows.
TEST(ReloadTest, StartWatchingServesTheManifestsVersionChecksItsAnswersAndFollows) {
  TempDir dir;
  Publish(dir.path, 7, Versioned(1));  // the bundle itself declares version "1"
  FixtureServer server(dir.path);
  WatchOptions watch;
  watch.source = server.url();
  watch.poll_interval = 50ms;
  watch.log = [](LogLevel, std::string_view) {};
  {
    auto runtime = Runtime::StartWatching(watch, TwoWorkers());
    EXPECT_EQ(runtime->info().version, "7");
    EXPECT_TRUE(AllWorkersOn(*runtime, "7"));
    const float row[] = {1, 2, 3};
    Prediction p = runtime->PredictVersioned({row, 1, 3});
    EXPECT_EQ(p.bundle_version, "7");
    EXPECT_FLOAT_EQ(p.output.at(0, 0), 6001.0f);  // the bundle's v1 answers: sum * 1000 + 1
    Publish(dir.path, 8, Versioned(2));
    EXPECT_TRUE(WaitFor([&] { return AllWorkersOn(*runtime, "8"); }, 30s));
    EXPECT_TRUE(runtime->Stats().watch.active);
  }
  // A manifest whose expected answers the version does not give: the start fails, naming it.
  nlohmann::json manifest = nlohmann::json::parse(ReadFile(dir.path + "/manifest.json"));
  manifest["expected_output"] = nlohmann::json::array({nlohmann::json::array({6002.0, 3.0})});  // v2 answers [6002, 2]
  WriteFile(dir.path + "/manifest.json", manifest.dump());
  try {
    Runtime::StartWatching(watch, TwoWorkers());
    FAIL() << "a version that gives other answers than its manifest's started";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOutput) << e.what();
    EXPECT_NE(std::string(e.what()).find("version 8"), std::string::npos) << e.what();
  }
}

struct FaultCase {
  const char* name;
  const char* reason;  // expected in failures_by_reason
};
void PrintTo(const FaultCase& c, std::ostream* os) { *os << c.name; }

class FaultTest : public ::testing::TestWithParam<FaultCase> {};

// Each fault keeps v1 serving with zero failed requests, is counted with its reason and names
// the version; after the fault is gone, a good v3 is picked up.
TEST_P(FaultTest, KeepsServingV1ThenTakesAGoodV3) {
  const FaultCase& c = GetParam();
  const std::string fault = c.name;
  TempDir dir;
  Publish(dir.path, 1, Versioned(1));
  auto server = std::make_unique<FixtureServer>(dir.path);
  const int port = server->port();
  WatchOptions watch;
  watch.source = server->url();
  watch.poll_interval = 50ms;
  watch.max_backoff = 200ms;
  watch.total_timeout = 500ms;
  watch.connect_timeout = 300ms;
  watch.max_bundle_bytes = 64 * 1024;
  std::mutex log_mu;
  std::vector<std::string> logged;
  watch.log = [&](LogLevel, std::string_view t) { std::lock_guard l(log_mu); logged.emplace_back(t); };
  auto runtime = Runtime::Start(FetchPublishedBundle(watch).source, TwoWorkers());
  runtime->Watch(watch);
  Load load(*runtime);

  const std::string faults = dir.path + "/faults.json";
  if (fault == "truncated") {
    WriteFile(faults, R"({"ml-2.bundle.js": {"truncate": 100}})");
    Publish(dir.path, 2, Versioned(2));
  } else if (fault == "checksum") {
    // The fault is in place before the manifest names v2: editing the file after publishing
    // let a 50 ms poll take the good v2 first.
    WriteFile(faults, R"({"ml-2.bundle.js": {"flip": true}})");
    Publish(dir.path, 2, Versioned(2));
  } else if (fault == "throws-on-load") {
    Publish(dir.path, 2, Versioned(2, "load-throws"), /*load_check=*/false);
  } else if (fault == "warm-up-throws") {
    Publish(dir.path, 2, Versioned(2, "warmup-throws"));
  } else if (fault == "http-404") {
    // As with the checksum: removing the file after publishing raced the poll.
    WriteFile(faults, R"({"ml-2.bundle.js": {"status": 404}})");
    Publish(dir.path, 2, Versioned(2));
  } else if (fault == "http-500") {
    WriteFile(faults, R"({"manifest.json": {"status": 500}})");
    Publish(dir.path, 2, Versioned(2));
  } else if (fault == "slow-server") {
    WriteFile(faults, R"({"ml-2.bundle.js": {"delay": 1.5}})");
    Publish(dir.path, 2, Versioned(2));
  } else if (fault == "server-down") {
    server->Stop();
  } else if (fault == "oversized") {
    Publish(dir.path, 2, Versioned(2, "ok", 1024, 100 * 1024));
  } else if (fault == "longer-than-declared") {
    WriteFile(faults, R"({"ml-2.bundle.js": {"extra": 500}})");
    Publish(dir.path, 2, Versioned(2));
  } else if (fault == "garbage-manifest") {
    WriteFile(dir.path + "/manifest.json", "{\"version\": 2, \"bundle\": ");
  } else if (fault == "garbage-bundle") {
    WriteFile(faults, R"({"ml-2.bundle.js": {"garbage": true}})");
    Publish(dir.path, 2, Versioned(2));
  }
  auto failures_for = [&](const std::string& reason) {
    for (auto& [r, n] : runtime->Stats().watch.failures_by_reason) if (r == reason) return n;
    return uint64_t{0};
  };
  ASSERT_TRUE(WaitFor([&] { return failures_for(c.reason) >= 2 || (std::string(c.reason) == "load-failed" && failures_for(c.reason) >= 1); }, 30s))
      << fault << ": last error: " << runtime->Stats().watch.last_error;
  EXPECT_TRUE(AllWorkersOn(*runtime, "1"));
  const std::string last_error = runtime->Stats().watch.last_error;
  if (fault != "server-down" && fault != "http-500" && fault != "garbage-manifest") {
    EXPECT_NE(last_error.find("version 2"), std::string::npos) << last_error;
  }

  // The fault goes away; a good v3 is published and taken.
  fs::remove(faults);
  if (fault == "server-down") server = std::make_unique<FixtureServer>(dir.path, port);
  Publish(dir.path, 3, Versioned(3));
  ASSERT_TRUE(WaitFor([&] { return AllWorkersOn(*runtime, "3"); }, 30s))
      << fault << ": v3 not taken; last error: " << runtime->Stats().watch.last_error;
  load.StopAndExpectEveryAnswerRight();
  std::lock_guard l(log_mu);
  EXPECT_FALSE(logged.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultTest,
    ::testing::Values(FaultCase{"truncated", "truncated"}, FaultCase{"checksum", "checksum"},
                      FaultCase{"throws-on-load", "load-failed"}, FaultCase{"warm-up-throws", "load-failed"},
                      FaultCase{"http-404", "http-404"}, FaultCase{"http-500", "http-500"},
                      FaultCase{"slow-server", "timeout"}, FaultCase{"server-down", "connect"},
                      FaultCase{"oversized", "too-large"}, FaultCase{"longer-than-declared", "size-mismatch"},
                      FaultCase{"garbage-manifest", "manifest-garbage"}, FaultCase{"garbage-bundle", "checksum"}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (char& ch : n) if (ch == '-') ch = '_';
      return n;
    });

// TLS is verified by default: a self-signed server is refused until its CA is given.
TEST(ReloadTest, HttpsIsVerifiedAndAnUntrustedCertificateIsRefused) {
  TempDir dir;
  const std::string cert = dir.path + "/cert.pem", key = dir.path + "/key.pem";
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                          "-addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string pub = dir.path + "/pub";
  fs::create_directories(pub);
  Publish(pub, 1, Versioned(1));
  FixtureServer server(pub, 0, cert, key);
  WatchOptions watch;
  watch.source = server.url("https");
  try {
    FetchPublishedBundle(watch);
    FAIL() << "an untrusted certificate was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("manifest https://127.0.0.1"), std::string::npos) << e.what();
  }
  watch.ca_file = cert;
  PublishedBundle b = FetchPublishedBundle(watch);
  EXPECT_EQ(b.version, "1");
  EXPECT_EQ(b.source.origin, server.url("https") + "/ml-1.bundle.js");
}

size_t RssBytes() {
  std::ifstream in("/proc/self/statm");
  size_t pages = 0, rss = 0;
  in >> pages >> rss;
  return rss * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

TEST(ReloadTest, ShutdownAbortsADownloadInFlightInsteadOfWaitingForItsTimeout) {
  TempDir dir;
  Publish(dir.path, 1, Versioned(1));
  FixtureServer server(dir.path);
  WatchOptions watch;
  watch.source = server.url();
  watch.poll_interval = 50ms;
  watch.total_timeout = 60s;
  watch.log = [](LogLevel, std::string_view) {};
  auto runtime = Runtime::Start(FetchPublishedBundle(watch).source, TwoWorkers());
  runtime->Watch(watch);
  WriteFile(dir.path + "/faults.json", R"({"ml-2.bundle.js": {"delay": 30}})");  // the server stalls
  Publish(dir.path, 2, Versioned(2));
  // Shut down while the watcher waits for version 2's body (the server marks the stalled request).
  ASSERT_TRUE(WaitFor([&] { return fs::exists(dir.path + "/stalled-ml-2.bundle.js"); }, 30s))
      << "the watcher never asked for version 2";
  const auto start = std::chrono::steady_clock::now();
  runtime->Shutdown();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0) << "shutdown waited for the stalled download";
}

// The grace window (runtime/src/grace_window.h): a version that passes warm-up and then fails
// real rows is rolled back, and the failing request gets the previous version's answer.
std::vector<float> Row(float first) { return {first, 1, 1}; }

TEST(GraceWindowTest, ANewVersionThatFailsARealRowIsRolledBackAndTheRequestAnsweredByThePrevious) {
  auto runtime = Runtime::Start(Source(Versioned(1)), TwoWorkers());
  ReloadResult r = runtime->Reload(Source(Versioned(2, "throws-on-7")));
  ASSERT_TRUE(r.ok) << r.error;  // the zero-row warm-up passes
  auto good = Row(1);
  EXPECT_EQ(runtime->PredictVersioned({good.data(), 1, 3}).bundle_version, "2");
  auto seven = Row(7);
  Prediction p = runtime->PredictVersioned({seven.data(), 1, 3});  // fails on 2, answered by 1
  EXPECT_EQ(p.bundle_version, "1");
  EXPECT_FLOAT_EQ(p.output.at(0, 0), 9001);
  RuntimeStats s = runtime->Stats();
  EXPECT_EQ(s.rollbacks, 1u);
  EXPECT_NE(s.last_rollback.find("version 2 rolled back to 1"), std::string::npos) << s.last_rollback;
  EXPECT_NE(s.last_rollback.find("fails on 7"), std::string::npos) << s.last_rollback;
  EXPECT_EQ(runtime->info().version, "1");
  // Every worker goes back, an idle one too, with no request of its own.
  EXPECT_TRUE(WaitFor([&] { return AllWorkersOn(*runtime, "1"); }, 30s));
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(runtime->PredictVersioned({seven.data(), 1, 3}).bundle_version, "1");
  }
  // The rolled-back version is bad: not taken again; a new one is.
  ReloadResult again = runtime->Reload(Source(Versioned(2, "throws-on-7")));
  EXPECT_FALSE(again.ok);
  EXPECT_NE(again.error.find("marked bad"), std::string::npos) << again.error;
  ASSERT_TRUE(runtime->Reload(Source(Versioned(3))).ok);
  EXPECT_EQ(runtime->PredictVersioned({seven.data(), 1, 3}).bundle_version, "3");
}

TEST(GraceWindowTest, AVersionThatHangsOnARealRowIsRolledBackAtThePredictDeadline) {
  RuntimeOptions o = TwoWorkers();
  o.model.predict_timeout = 300ms;
  auto runtime = Runtime::Start(Source(Versioned(1)), o);
  ASSERT_TRUE(runtime->Reload(Source(Versioned(2, "loops-on-7"))).ok);
  auto seven = Row(7);
  Prediction p = runtime->PredictVersioned({seven.data(), 1, 3});
  EXPECT_EQ(p.bundle_version, "1");
  EXPECT_EQ(runtime->Stats().rollbacks, 1u);
  EXPECT_EQ(runtime->info().version, "1");
}

TEST(GraceWindowTest, ARowBadOnEveryVersionFailsAndRollsNothingBack) {
  auto runtime = Runtime::Start(Source(Versioned(1)), TwoWorkers());
  ASSERT_TRUE(runtime->Reload(Source(Versioned(2))).ok);
  auto bad = Row(-13);
  try {
    runtime->Predict({bad.data(), 1, 3});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kPredict);
    EXPECT_EQ(e.bundle_version(), "2");
  }
  EXPECT_EQ(runtime->Stats().rollbacks, 0u);
  EXPECT_EQ(runtime->info().version, "2");
}

TEST(GraceWindowTest, AfterTheWindowClosesAFailureIsTheRequestsAlone) {
  RuntimeOptions o = TwoWorkers();
  o.rollback_window_batches = 5;
  auto runtime = Runtime::Start(Source(Versioned(1)), o);
  ASSERT_TRUE(runtime->Reload(Source(Versioned(2, "throws-on-7"))).ok);
  auto good = Row(1);
  for (int i = 0; i < 20; ++i) runtime->Predict({good.data(), 1, 3});
  auto seven = Row(7);
  EXPECT_THROW(runtime->Predict({seven.data(), 1, 3}), Error);
  EXPECT_EQ(runtime->Stats().rollbacks, 0u);
  EXPECT_EQ(runtime->info().version, "2");
}

TEST(GraceWindowTest, WithTheWindowOffNothingIsKeptOrRolledBack) {
  RuntimeOptions o = TwoWorkers();
  o.rollback_window = 0ms;
  o.rollback_window_batches = 0;
  auto runtime = Runtime::Start(Source(Versioned(1)), o);
  ASSERT_TRUE(runtime->Reload(Source(Versioned(2, "throws-on-7"))).ok);
  auto seven = Row(7);
  EXPECT_THROW(runtime->Predict({seven.data(), 1, 3}), Error);
  EXPECT_EQ(runtime->Stats().rollbacks, 0u);
}

TEST(GraceWindowTest, UnderLoadARollbackLosesNoRequest) {
  auto runtime = Runtime::Start(Source(Versioned(1)), TwoWorkers());
  Load load(*runtime, 4);
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(runtime->Reload(Source(Versioned(2, "throws-on-7"))).ok);
  std::this_thread::sleep_for(100ms);
  auto seven = Row(7);
  EXPECT_EQ(runtime->PredictVersioned({seven.data(), 1, 3}).bundle_version, "1");
  std::this_thread::sleep_for(200ms);
  load.Stop();
  EXPECT_EQ(load.failed(), 0) << load.last_error();
  EXPECT_EQ(load.mixed(), 0);
  EXPECT_GT(load.answered(), 0);
  EXPECT_EQ(runtime->Stats().rollbacks, 1u);
  // A worker busy at the rollback goes back when its batch ends: soon, but under TSan on a
  // loaded machine not always within the 200 ms above.
  EXPECT_TRUE(WaitFor([&] { return AllWorkersOn(*runtime, "1"); }, 30s));
}

// Each version holds 8 MB of ballast in its isolate: if old isolates were kept, 190 of them
// would add about 1.5 GB.
// Expected answers (docs/publishing.md, "Checking answers"). The wine model without its app
// takes the same 13 columns as the app bundle but skips the app's scaling, so it answers every
// raw wine row wrongly; only a check of the answers tells.
struct WineRows {
  DenseMatrix input = cli::ReadCsvFile(kFixtures + "/wine.csv");
  DenseMatrix ref_cpu = cli::ReadCsvFile(kFixtures + "/ref-wine-layers-cpu.csv");
  DenseMatrix ref_wasm = cli::ReadCsvFile(kFixtures + "/ref-wine-layers-wasm.csv");
  // Rows of each class (wine.csv has 59 of class 1, then 71 of class 2, then 48 of class 3):
  // the app-less model answers about [1, 0, 0] to every raw row, right for class 1 only.
  static constexpr size_t kRows[] = {0, 60, 130, 61, 131};
  // The user's own validation: the first `n` of kRows and the answers tfjs gives them.
  ReloadCheck Check(size_t n, const DenseMatrix& ref) const {
    ReloadCheck c;
    for (size_t i = 0; i < n; ++i) {
      c.sample.insert(c.sample.end(), input.row(kRows[i]).begin(), input.row(kRows[i]).end());
      c.expected.insert(c.expected.end(), ref.row(kRows[i]).begin(), ref.row(kRows[i]).end());
    }
    return c;
  }
};

// Every row of wine.csv, answered by `version`, within 1e-5 of tfjs in Node.
void ExpectServesLike(Runtime& runtime, const WineRows& wine, const DenseMatrix& ref, const std::string& version) {
  Prediction p = runtime.PredictVersioned(wine.input);
  EXPECT_EQ(p.bundle_version, version);
  ASSERT_EQ(p.output.rows(), ref.rows());
  ASSERT_EQ(p.output.cols(), ref.cols());
  double worst = 0;
  for (size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::fabs(double(p.output.data()[i]) - ref.data()[i]));
  EXPECT_LT(worst, 1e-5) << "version " << version;
}

std::string Bundle(const std::string& name) { return kFixtures + "/" + name + ".bundle.js"; }

TEST(ExpectedOutputTest, AVersionThatAnswersWronglyIsRefusedNamedAndNeverServed) {
  const WineRows wine;
  auto runtime = Runtime::Start(BundleSource::FromFile(Bundle("wine-layers-cpu")), TwoWorkers());
  ASSERT_TRUE(runtime->Reload(BundleSource::FromFile(Bundle("wine-layers-cpu")), "app-1").ok);
  ExpectServesLike(*runtime, wine, wine.ref_cpu, "app-1");

  ReloadResult r = runtime->Reload(BundleSource::FromFile(Bundle("wine-noapp")), "noapp-2", wine.Check(5, wine.ref_cpu));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("version noapp-2: its warm-up answers disagree with the expected output on"),
            std::string::npos) << r.error;
  EXPECT_TRUE(std::regex_search(r.error, std::regex("the first: sample row \\d+, column \\d: got [-0-9.e]+, "
                                                    "expected [-0-9.e]+")))
      << r.error;
  EXPECT_TRUE(AllWorkersOn(*runtime, "app-1"));
  ExpectServesLike(*runtime, wine, wine.ref_cpu, "app-1");
  EXPECT_FALSE(runtime->Reload(BundleSource::FromFile(Bundle("wine-noapp")), "noapp-2").ok) << "not marked bad";

  // A right version with the same check passes and serves: the wasm build of the app bundle,
  // checked against the cpu build's answers within the default tolerance.
  ReloadResult good = runtime->Reload(BundleSource::FromFile(Bundle("wine-layers-wasm")), "wasm-3",
                                      wine.Check(5, wine.ref_cpu));
  ASSERT_TRUE(good.ok) << good.error;
  ExpectServesLike(*runtime, wine, wine.ref_wasm, "wasm-3");

  // The tolerance: an expected first value 5e-4 off (about 1.0) is outside 1e-4 * (1 + 1) and
  // inside 1e-3 * (1 + 1).
  ReloadCheck off = wine.Check(5, wine.ref_wasm);
  off.expected[0] += 5e-4f;
  ReloadResult strict = runtime->Reload(BundleSource::FromFile(Bundle("wine-layers-cpu")), "cpu-4", off);
  EXPECT_FALSE(strict.ok);
  EXPECT_NE(strict.error.find("on 1 of 15 values (|got - expected| <= 0.0001 * (1 + |expected|)); the first: "
                              "sample row 0, column 0"), std::string::npos) << strict.error;
  ExpectServesLike(*runtime, wine, wine.ref_wasm, "wasm-3");
  off.tolerance = 1e-3;
  ReloadResult loose = runtime->Reload(BundleSource::FromFile(Bundle("wine-layers-cpu")), "cpu-5", off);
  EXPECT_TRUE(loose.ok) << loose.error;
  ExpectServesLike(*runtime, wine, wine.ref_cpu, "cpu-5");
}

TEST(ExpectedOutputTest, SamplesAndExpectationsOfTheWrongWidthAreErrorsNamingTheVersion) {
  const WineRows wine;
  auto runtime = Runtime::Start(BundleSource::FromFile(Bundle("wine-layers-cpu")), TwoWorkers());
  struct Case { std::string version; ReloadCheck check; std::string expect; };
  ReloadCheck wide_expect = wine.Check(2, wine.ref_cpu);
  wide_expect.expected.push_back(0.5f);
  ReloadCheck no_sample;
  no_sample.expected = {1, 0, 0};
  const std::vector<Case> cases = {
      {"w1", ReloadCheck{{1, 2, 3}, {}, 1e-4}, "version w1 refused: the warm-up sample has 3 values, not whole rows of the bundle's 13 columns"},
      {"w2", wide_expect, "version w2: the expected output has 7 values; the bundle answers 2 sample rows with 3 columns"},
      {"w3", no_sample, "version w3: expected answers were given without the sample rows"},
  };
  for (const Case& c : cases) {
    ReloadResult r = runtime->Reload(BundleSource::FromFile(Bundle("wine-layers-wasm")), c.version, c.check);
    EXPECT_FALSE(r.ok) << c.version;
    EXPECT_NE(r.error.find(c.expect), std::string::npos) << r.error;
  }
  ExpectServesLike(*runtime, wine, wine.ref_cpu, runtime->info().version);
  // Runtime::Verify checks the version serving now the same way.
  EXPECT_NO_THROW(runtime->Verify(wine.Check(5, wine.ref_cpu)));
  ReloadCheck wrong = wine.Check(3, wine.ref_cpu);
  wrong.expected[4] += 0.5f;
  try {
    runtime->Verify(wrong);
    ADD_FAILURE() << "Verify passed wrong answers";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOutput);
    EXPECT_NE(e.message().find("disagree with the expected output on 1 of 9 values"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find("sample row 1, column 1"), std::string::npos) << e.what();
  }
}

// Through --watch: a published version whose manifest's expected answers disagree is refused and
// counted, and never serves; the next version that agrees is taken.
TEST(ExpectedOutputTest, AWatchedVersionWithWrongAnswersIsRefusedAndTheNextGoodOneTaken) {
  const WineRows wine;
  TempDir dir;
  const std::string sample = dir.path + "/sample.csv", expect = dir.path + "/expect.json";
  {
    std::ofstream s(sample), e(expect);
    s.precision(9);
    e.precision(9);
    for (size_t r = 0; r < 4; ++r) {
      for (size_t c = 0; c < wine.input.cols(); ++c) s << (c ? "," : "") << wine.input.at(WineRows::kRows[r], c);
      s << "\n";
    }
    e << "[";
    for (size_t r = 0; r < 4; ++r) {
      e << (r ? ",[" : "[");
      for (size_t c = 0; c < wine.ref_cpu.cols(); ++c) e << (c ? "," : "") << wine.ref_cpu.at(WineRows::kRows[r], c);
      e << "]";
    }
    e << "]";
  }
  auto publish = [&](const std::string& bundle, const std::string& version) {
    const std::string cmd = "TFJS_RUN=" TFJS_RUN_BINARY " bash " + kSource + "/tools/publish-bundle.sh --sample " +
                            sample + " --expect " + expect + " " + Bundle(bundle) + " " + dir.path + "/pub " + version +
                            " 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  };
  publish("wine-layers-cpu", "1");
  WatchOptions watch;
  watch.source = dir.path + "/pub";
  watch.poll_interval = 50ms;
  watch.log = [](LogLevel, std::string_view) {};
  auto runtime = Runtime::Start(FetchPublishedBundle(watch).source, TwoWorkers());
  ASSERT_TRUE(runtime->Reload(BundleSource::FromFile(Bundle("wine-layers-cpu")), "1").ok);
  runtime->Watch(watch);
  publish("wine-noapp", "2");
  ASSERT_TRUE(WaitFor([&] { return !runtime->Stats().watch.last_reload.error.empty(); }, 30s));
  const RuntimeStats stats = runtime->Stats();
  EXPECT_NE(stats.watch.last_reload.error.find("version 2: its warm-up answers disagree"), std::string::npos)
      << stats.watch.last_reload.error;
  EXPECT_EQ(stats.watch.bad_versions, std::vector<std::string>{"2"});
  ExpectServesLike(*runtime, wine, wine.ref_cpu, "1");
  publish("wine-layers-wasm", "3");
  // Workers switch before the reload is recorded: wait for both.
  ASSERT_TRUE(WaitFor([&] { return AllWorkersOn(*runtime, "3") && runtime->info().version == "3"; }, 30s))
      << runtime->Stats().watch.last_error;
  ExpectServesLike(*runtime, wine, wine.ref_wasm, "3");
  EXPECT_EQ(runtime->Stats().reloads_ok, 2u);  // the rename to "1" and version 3
}

// Shutdown during a reload whose load() busy-loops for 30 s (under a 120 s load deadline): the
// loading isolate is terminated, every accepted request is answered by the version serving, and
// Shutdown (or the destructor) returns within 2 s. The abandoned version is not marked bad.
class AbandonTest : public ::testing::TestWithParam<int> {};

TEST_P(AbandonTest, ShutdownDuringASlowLoadReturnsWithin2sAndAnswersEveryRequest) {
  const int mode = GetParam();  // 0: Shutdown, 1: destructor, 2: StopReloading with one worker
  RuntimeOptions o = TwoWorkers();
  if (mode == 2) o.workers = 1;
  o.model.load_timeout = 120s;
  std::atomic<bool> loading{false};
  o.model.log = [&](LogLevel, std::string_view text) {
    if (text.find("loading slowly") != std::string_view::npos) loading = true;
  };
  auto runtime = Runtime::Start(Source(Versioned(1)), o);
  ReloadResult reload;
  std::thread reloader([&] { reload = runtime->Reload(Source(Versioned(2, "loads-slowly")), "2"); });
  ASSERT_TRUE(WaitFor([&] { return loading.load(); }, 30s));
  std::vector<float> rows = {1, 2, 3, 4, 5, 6};
  std::future<Prediction> answer = runtime->SubmitVersioned({rows.data(), 2, 3});
  std::this_thread::sleep_for(100ms);
  const auto start = std::chrono::steady_clock::now();
  if (mode == 0) runtime->Shutdown();
  if (mode == 1) runtime.reset();
  if (mode == 2) runtime->StopReloading();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  reloader.join();
  EXPECT_LT(seconds, 2.0);
  std::printf("returned in %.3f s\n", seconds);
  ASSERT_EQ(answer.wait_for(2s), std::future_status::ready);
  Prediction p = answer.get();
  EXPECT_EQ(p.bundle_version, "1");
  EXPECT_FLOAT_EQ(p.output.at(0, 0), 6001);
  EXPECT_FLOAT_EQ(p.output.at(1, 0), 15001);
  EXPECT_FALSE(reload.ok);
  EXPECT_NE(reload.error.find("reload to version 2 abandoned, nothing switched: reloads are stopped"),
            std::string::npos) << reload.error;
  if (mode == 2) {
    // It goes on serving version 1, refuses new reloads, and did not mark version 2 bad.
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(waited, 2.0) << "the request queued behind the load waited for it";
    EXPECT_EQ(runtime->PredictVersioned({rows.data(), 2, 3}).bundle_version, "1");
    ReloadResult later = runtime->Reload(Source(Versioned(3)));
    EXPECT_FALSE(later.ok);
    EXPECT_NE(later.error.find("reloads are stopped"), std::string::npos) << later.error;
    EXPECT_THROW(runtime->Watch({.source = "/nonexistent"}), Error);
  }
}

// The mechanism under it: ModelOptions::cancel terminates a load in a busy loop, like a deadline.
TEST(CancelTest, ModelOptionsCancelStopsALoadInALoopWithAShutdownError) {
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  ModelOptions o;
  o.load_timeout = 120s;
  o.cancel = cancel;
  o.log = [](LogLevel, std::string_view) {};
  std::thread canceller([&] {
    std::this_thread::sleep_for(300ms);
    *cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  try {
    Model::Load(Source(Versioned(2, "loads-slowly")), o);
    ADD_FAILURE() << "the load was not cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kShutdown) << e.what();
    EXPECT_NE(e.message().find("loading was abandoned by its owner"), std::string::npos) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a tfjs_run::Error: " << e.what();
  } catch (...) {
    ADD_FAILURE() << "an exception of unknown type";
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  canceller.join();
  EXPECT_GT(seconds, 0.25);
  EXPECT_LT(seconds, kSanitized ? 5.0 : 1.0);  // a sanitized V8 start-up alone can take a second
}

// Cancelled before the isolate exists, or while its polyfills install: the same error, and no
// abort (a constructor that failed after starting its watchdog thread once ended the process).
TEST(CancelTest, ALoadCancelledBeforeItStartsFailsWithAShutdownError) {
  auto cancel = std::make_shared<std::atomic<bool>>(true);
  ModelOptions o;
  o.cancel = cancel;
  o.log = [](LogLevel, std::string_view) {};
  for (int i = 0; i < 5; ++i) {
    try {
      Model::Load(Source(Versioned(2)), o);
      ADD_FAILURE() << "a cancelled load succeeded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kShutdown) << e.what();
      EXPECT_NE(e.message().find("loading was abandoned by its owner"), std::string::npos) << e.what();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ways, AbandonTest, ::testing::Values(0, 1, 2), [](const auto& info) {
  return std::string(info.param == 0 ? "Shutdown" : info.param == 1 ? "Destructor" : "StopReloadingWithOneWorker");
});

TEST(ReloadTest, RssAfter200ReloadsStaysWithin64MBOfRssAfter10) {
  if (kSanitized) GTEST_SKIP() << "sanitizer allocators hold freed memory; RSS says nothing here";
  RuntimeOptions o;
  o.workers = 2;
  auto runtime = Runtime::Start(Source(Versioned(1, "ok", 1 << 20)), o);
  size_t rss10 = 0;
  for (int v = 2; v <= 201; ++v) {
    ReloadResult r = runtime->Reload(Source(Versioned(v, "ok", 1 << 20)));
    ASSERT_TRUE(r.ok) << r.error;
    if (v == 11) rss10 = RssBytes();
  }
  const size_t rss200 = RssBytes();
  std::printf("RSS after 10 reloads %.1f MB, after 200 %.1f MB\n", rss10 / 1048576.0, rss200 / 1048576.0);
  EXPECT_LT(rss200, rss10 + (64u << 20));
  EXPECT_TRUE(AllWorkersOn(*runtime, "201"));
}

}  // namespace
}  // namespace tfjs_run
