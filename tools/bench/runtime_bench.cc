// tfjs-run-runtime-bench: the threaded Runtime under concurrent callers.
//
//   tfjs-run-runtime-bench BUNDLE ROWS.csv --workers W --callers C --rows R [--seconds S] [--warmup S]
//       [--max-batch-rows B] [--max-batch-delay US] [--chunk-rows K] [--pin auto|always|never]
//       [--spin US] [--caller-runs 0|1] [--model-exec auto|native|tfjs] [--in-flight N]
//   tfjs-run-runtime-bench BUNDLE ROWS.csv --startup W [--cache-dir DIR] [--code-cache 0|1]
//
// Load mode: C caller threads each call Runtime::Predict with R rows in a loop: first for the
// warm-up (default 3 s, not measured: each isolate's TurboFan compiles tfjs for about a second of
// CPU after load, on V8's one background thread, which competes with the workers when every
// core has one), then for S seconds. Prints one JSON line: rows/s, requests/s, latency
// percentiles, mean batch size, and the CPU the process got (cpu_cores: CPU seconds per second;
// worker_cpu_cores: the part the worker threads used, the rest is callers and V8's threads).
// Startup mode: prints the time Runtime::Start takes with W workers, and each worker's load.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

using Clock = std::chrono::steady_clock;

// CPU seconds (user + system) this process has used so far, all threads.
static double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: see the comment at the top of runtime_bench.cc\n");
    return 1;
  }
  std::string bundle = argv[1], rows_path = argv[2], cache_dir, model_exec = "auto";
  size_t workers = 1, callers = 1, rows_per_request = 1, max_batch_rows = 64, chunk_rows = 256, startup = 0;
  long delay_us = 200, spin_us = 0;
  double seconds = 2, warmup = 3;
  std::string pin = "auto";
  bool use_cache = true, caller_runs = true;
  size_t in_flight = 1;  // requests each caller keeps in flight (1: synchronous Predict)
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    std::string v = argv[i + 1];
    if (a == "--workers") workers = std::stoul(v);
    else if (a == "--callers") callers = std::stoul(v);
    else if (a == "--rows") rows_per_request = std::stoul(v);
    else if (a == "--seconds") seconds = std::stod(v);
    else if (a == "--warmup") warmup = std::stod(v);
    else if (a == "--max-batch-rows") max_batch_rows = std::stoul(v);
    else if (a == "--max-batch-delay") delay_us = std::stol(v);
    else if (a == "--chunk-rows") chunk_rows = std::stoul(v);
    else if (a == "--startup") startup = std::stoul(v);
    else if (a == "--cache-dir") cache_dir = v;
    else if (a == "--pin") pin = v;
    else if (a == "--code-cache") use_cache = v != "0";
    else if (a == "--in-flight") in_flight = std::stoul(v);
    else if (a == "--model-exec") model_exec = v;
    else if (a == "--spin") spin_us = std::stol(v);
    else if (a == "--caller-runs") caller_runs = v != "0";
  }
  const tfjs_run::DenseMatrix table = tfjs_run::cli::ReadCsvFile(rows_path);
  const std::vector<float>& data = table.values();
  const size_t cols = table.cols(), nrows = table.rows();
  auto source = tfjs_run::BundleSource::FromFile(bundle);
  tfjs_run::RuntimeOptions options;
  options.model.model_exec = model_exec == "native" ? tfjs_run::ModelExec::kNative
                             : model_exec == "tfjs" ? tfjs_run::ModelExec::kTfjs : tfjs_run::ModelExec::kAuto;
  options.max_batch_rows = max_batch_rows;
  options.spin = std::chrono::microseconds(spin_us);
  options.caller_runs = caller_runs;
  options.max_batch_delay = std::chrono::microseconds(delay_us);
  options.chunk_rows = chunk_rows;
  options.pinning = pin == "always" ? tfjs_run::RuntimeOptions::Pinning::kAlways
                    : pin == "never"  ? tfjs_run::RuntimeOptions::Pinning::kNever
                                      : tfjs_run::RuntimeOptions::Pinning::kAuto;

  if (startup > 0) {
    options.workers = startup;
    options.code_cache_dir = cache_dir;
    options.use_code_cache = use_cache;
    auto start = Clock::now();
    auto runtime = tfjs_run::Runtime::Start(source, options);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    std::printf("{\"workers\":%zu,\"start_ms\":%.1f,\"loads_ms\":[", startup, ms);
    auto stats = runtime->Stats();
    for (size_t i = 0; i < stats.workers.size(); ++i) {
      std::printf("%s{\"load_ms\":%.1f,\"cache\":%s}", i ? "," : "", stats.workers[i].load_ms,
                  stats.workers[i].code_cache_accepted ? "true" : "false");
    }
    std::printf("]}\n");
    return 0;
  }

  options.workers = workers;
  auto runtime = tfjs_run::Runtime::Start(source, options);
  // Requests of rows_per_request rows, cycling through the data.
  std::vector<float> input(std::max(nrows, rows_per_request) * cols);
  for (size_t r = 0; r < input.size() / cols; ++r)
    std::copy(data.begin() + (r % nrows) * cols, data.begin() + (r % nrows + 1) * cols, input.begin() + r * cols);
  // One load phase: every caller sends requests until `duration` has passed. Returns the
  // latencies (us) of the requests that completed, and the wall seconds the phase took.
  auto load = [&](double duration, std::vector<float>& all) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    std::vector<std::vector<float>> latencies(callers);
    auto start = Clock::now();
    for (size_t c = 0; c < callers; ++c) {
      threads.emplace_back([&, c] {
        size_t offset = (c * 17) % std::max<size_t>(1, input.size() / cols - rows_per_request + 1);
        const tfjs_run::DenseMatrixView view(input.data() + offset * cols, rows_per_request, cols);
        if (in_flight <= 1) {
          while (!stop.load(std::memory_order_relaxed)) {
            auto t0 = Clock::now();
            runtime->Predict(view);
            latencies[c].push_back(std::chrono::duration<float, std::micro>(Clock::now() - t0).count());
          }
          return;
        }
        // Asynchronous caller (like a Flink AsyncFunction): keep in_flight requests outstanding.
        std::deque<std::pair<Clock::time_point, std::future<tfjs_run::DenseMatrix>>> pending;
        while (!stop.load(std::memory_order_relaxed) || !pending.empty()) {
          if (!stop.load(std::memory_order_relaxed) && pending.size() < in_flight) {
            pending.emplace_back(Clock::now(), runtime->Submit(view));
            continue;
          }
          pending.front().second.get();
          latencies[c].push_back(std::chrono::duration<float, std::micro>(Clock::now() - pending.front().first).count());
          pending.pop_front();
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(duration));
    stop = true;
    for (auto& t : threads) t.join();
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  std::vector<float> ignored;
  if (warmup > 0) load(warmup, ignored);
  auto warm = runtime->Stats();
  uint64_t warm_rows = 0, warm_batches = 0;
  double warm_busy = 0, warm_worker_cpu = 0;
  for (auto& w : warm.workers) {
    warm_rows += w.rows; warm_batches += w.batches; warm_busy += w.busy_seconds; warm_worker_cpu += w.cpu_seconds;
  }
  const double cpu_before = CpuSeconds();
  std::vector<float> all;
  const double s = load(seconds, all);
  const double cpu = CpuSeconds() - cpu_before;
  const double requests = static_cast<double>(all.size());
  std::sort(all.begin(), all.end());
  auto pct = [&](double q) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(q * all.size()))]; };
  auto stats = runtime->Stats();
  uint64_t rows = 0, batches = 0;
  double busy = 0, worker_cpu = 0;
  for (auto& w : stats.workers) { rows += w.rows; batches += w.batches; busy += w.busy_seconds; worker_cpu += w.cpu_seconds; }
  rows -= warm_rows;
  batches -= warm_batches;
  busy -= warm_busy;
  worker_cpu -= warm_worker_cpu;
  std::printf("{\"workers\":%zu,\"in_flight\":%zu,\"callers\":%zu,\"rows_per_request\":%zu,\"max_batch_rows\":%zu,\"max_batch_delay_us\":%ld,"
              "\"rows_per_s\":%.0f,\"requests_per_s\":%.0f,\"p50_us\":%.0f,\"p99_us\":%.0f,\"mean_batch_rows\":%.1f,"
              "\"busy_share\":%.2f,\"cpu_cores\":%.2f,\"worker_cpu_cores\":%.2f,\"backend\":\"%s\"}\n",
              workers, in_flight, callers, rows_per_request, max_batch_rows, delay_us, requests * rows_per_request / s,
              requests / s, pct(0.5), pct(0.99), batches ? double(rows) / double(batches) : 0.0,
              busy / (s * static_cast<double>(workers)), cpu / s, worker_cpu / s, runtime->info().backend.c_str());
  return 0;
}
