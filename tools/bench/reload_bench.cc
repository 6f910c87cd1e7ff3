// tfjs-run-reload-bench: what a hot reload costs.
//
//   tfjs-run-reload-bench BUNDLE ROWS.csv latency [--workers W] [--callers C] [--seconds S] [--reload-nice N]
//       Request latency under steady load, then under the same load while the runtime reloads
//       the bundle back to back (push Reload, a new version name each time). One JSON line.
//   tfjs-run-reload-bench BUNDLE ROWS.csv publish DIR [--workers W] [--poll-ms P] [--times N]
//       Publishes new versions into DIR (tools/publish-bundle.sh) for a runtime watching it and
//       times publish -> every worker serving it, with its breakdown. One JSON line per publish.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

using Clock = std::chrono::steady_clock;

static double Pct(std::vector<float> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: see the comment at the top of reload_bench.cc\n");
    return 1;
  }
  const std::string bundle = argv[1], rows_path = argv[2], mode = argv[3];
  std::string dir = mode == "publish" && argc > 4 ? argv[4] : "";
  size_t workers = 2, callers = 8, times = 3;
  double seconds = 3;
  long poll_ms = 100;
  int reload_nice = 10;
  for (int i = 4; i + 1 < argc; ++i) {
    std::string a = argv[i];
    if (a == "--workers") workers = std::stoul(argv[++i]);
    else if (a == "--callers") callers = std::stoul(argv[++i]);
    else if (a == "--seconds") seconds = std::stod(argv[++i]);
    else if (a == "--poll-ms") poll_ms = std::stol(argv[++i]);
    else if (a == "--times") times = std::stoul(argv[++i]);
    else if (a == "--reload-nice") reload_nice = std::stoi(argv[++i]);
  }
  const tfjs_run::DenseMatrix table = tfjs_run::cli::ReadCsvFile(rows_path);
  std::vector<float> row(table.row(0).begin(), table.row(0).end());
  const auto source = tfjs_run::BundleSource::FromFile(bundle);
  tfjs_run::RuntimeOptions options;
  options.workers = workers;
  options.reload_nice = reload_nice;
  auto runtime = tfjs_run::Runtime::Start(source, options);

  if (mode == "latency") {
    std::atomic<int> phase{0};  // 0 steady, 1 reloading, 2 stop
    std::mutex mu;
    std::vector<float> steady, reloading;
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (size_t c = 0; c < callers; ++c) {
      threads.emplace_back([&] {
        std::vector<float> s, r;
        while (phase != 2) {
          const int p = phase;
          auto t0 = Clock::now();
          try {
            runtime->Predict({row.data(), 1, row.size()});
          } catch (...) {
            ++failed;
          }
          float us = std::chrono::duration<float, std::micro>(Clock::now() - t0).count();
          (p == 0 ? s : r).push_back(us);
        }
        std::lock_guard lock(mu);
        steady.insert(steady.end(), s.begin(), s.end());
        reloading.insert(reloading.end(), r.begin(), r.end());
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    phase = 1;
    int reloads = 0;
    double total_ms = 0;
    const auto until = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < until) {
      tfjs_run::ReloadResult r = runtime->Reload(source, "bench-" + std::to_string(++reloads));
      if (!r.ok) std::fprintf(stderr, "reload failed: %s\n", r.error.c_str());
      total_ms += r.total_ms;
    }
    phase = 2;
    for (auto& t : threads) t.join();
    std::printf("{\"workers\":%zu,\"callers\":%zu,\"steady_requests\":%zu,\"steady_p50_us\":%.0f,\"steady_p99_us\":%.0f,"
                "\"reload_requests\":%zu,\"reload_p50_us\":%.0f,\"reload_p99_us\":%.0f,\"reloads\":%d,"
                "\"mean_reload_ms\":%.1f,\"failed\":%d,\"reload_nice\":%d,\"backend\":\"%s\"}\n",
                workers, callers, steady.size(), Pct(steady, 0.5), Pct(steady, 0.99), reloading.size(),
                Pct(reloading, 0.5), Pct(reloading, 0.99), reloads, total_ms / std::max(reloads, 1), failed.load(),
                reload_nice, runtime->info().backend.c_str());
    return failed == 0 ? 0 : 1;
  }

  if (mode == "publish") {
    const char* root = std::getenv("TFJS_RUN_SOURCE_DIR");
    const std::string publish = std::string(root ? root : ".") + "/tools/publish-bundle.sh";
    auto run_publish = [&](const std::string& version) {
      std::string cmd = "bash " + publish + " " + bundle + " " + dir + " " + version + " 2>/dev/null";
      return std::system(cmd.c_str()) == 0;
    };
    if (!run_publish("p0")) return 1;
    runtime->Reload(source, "p0");
    tfjs_run::WatchOptions watch;
    watch.source = dir;
    watch.poll_interval = std::chrono::milliseconds(poll_ms);
    watch.log = [](tfjs_run::LogLevel, std::string_view) {};
    runtime->Watch(watch);
    for (size_t i = 1; i <= times; ++i) {
      const std::string version = "p" + std::to_string(i);
      const auto start = Clock::now();
      run_publish(version);
      const auto published = Clock::now();
      for (;;) {
        auto stats = runtime->Stats();
        // The watcher records its reload after the workers switched: wait for both.
        bool all = std::all_of(stats.workers.begin(), stats.workers.end(), [&](auto& w) { return w.version == version; }) &&
                   stats.watch.last_reload.version == version;
        if (all) {
          double total = std::chrono::duration<double, std::milli>(Clock::now() - published).count();
          const auto& r = stats.watch.last_reload;
          double load = 0, warm = 0, sw = 0;
          for (double v : r.worker_load_ms) load += v;
          for (double v : r.worker_warmup_ms) warm += v;
          for (double v : r.worker_switch_ms) sw = std::max(sw, v);
          const double reload_other = r.total_ms - load - warm;
          const double poll_wait = total - stats.watch.last_manifest_ms - stats.watch.last_download_ms - r.total_ms;
          std::printf("{\"version\":\"%s\",\"publish_ms\":%.1f,\"publish_to_all_workers_ms\":%.1f,\"poll_wait_ms\":%.1f,"
                      "\"manifest_ms\":%.1f,\"download_verify_ms\":%.1f,\"load_ms_all_workers\":%.1f,"
                      "\"warmup_ms_all_workers\":%.1f,\"switch_ms_max\":%.2f,\"reload_other_ms\":%.1f}\n",
                      version.c_str(), std::chrono::duration<double, std::milli>(published - start).count(), total,
                      poll_wait, stats.watch.last_manifest_ms, stats.watch.last_download_ms, load, warm, sw,
                      reload_other);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return 0;
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 1;
}
