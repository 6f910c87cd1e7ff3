// One process serving 1, 4 or 16 models (ModelSet) under the same total load: closed-loop
// callers, each predicting `--batch` rows at a time from the wine data, spread round-robin over
// the models. Prints, per model count: rows/s, p50 and p99 request latency, RSS per model and
// the time to add a model. tools/bench-models.sh runs it; docs/models.md has the results.
//
//   tfjs-run-models-bench BUNDLE ROWS.csv [--models 1,4,16] [--seconds 3] [--callers 8]
//                         [--batch 16] [--workers 0]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

namespace {

using Clock = std::chrono::steady_clock;

double RssMiB() {
  std::ifstream in("/proc/self/statm");
  size_t pages = 0, resident = 0;
  in >> pages >> resident;
  return static_cast<double>(resident) * 4096 / (1 << 20);
}

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> out;
  std::stringstream s(text);
  for (std::string part; std::getline(s, part, ',');) out.push_back(std::stoi(part));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BUNDLE ROWS.csv [--models 1,4,16] [--seconds S] [--callers C] [--batch B] "
                         "[--workers W]\n", argv[0]);
    return 1;
  }
  const std::string bundle = argv[1];
  std::vector<int> counts = {1, 4, 16};
  double seconds = 3;
  int callers = 8, batch = 16, workers = 0;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--models") counts = ParseList(argv[i + 1]);
    else if (flag == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (flag == "--callers") callers = std::stoi(argv[i + 1]);
    else if (flag == "--batch") batch = std::stoi(argv[i + 1]);
    else if (flag == "--workers") workers = std::stoi(argv[i + 1]);
  }
  const tfjs_run::DenseMatrix rows = tfjs_run::cli::ReadCsvFile(argv[2]);
  const tfjs_run::BundleSource source = tfjs_run::BundleSource::FromFile(bundle);
  std::printf("models  rows/s  p50_us  p99_us  rss_per_model_mib  add_ms(mean)  workers/model\n");
  for (int n : counts) {
    tfjs_run::RuntimeOptions options;
    options.workers = static_cast<size_t>(workers);
    options.model.log = [](tfjs_run::LogLevel, std::string_view) {};
    const double rss_before = RssMiB();
    double add_ms = 0;
    {
      tfjs_run::ModelSet models(options);
      for (int m = 0; m < n; ++m) {
        const auto t = Clock::now();
        models.AddModel("m" + std::to_string(m), source);
        add_ms += std::chrono::duration<double, std::milli>(Clock::now() - t).count();
      }
      const double rss_models = RssMiB() - rss_before;
      std::atomic<bool> stop{false};
      std::atomic<uint64_t> done_rows{0};
      std::vector<std::vector<float>> latencies(static_cast<size_t>(callers));
      std::vector<std::thread> threads;
      const auto start = Clock::now();
      for (int c = 0; c < callers; ++c) {
        threads.emplace_back([&, c] {
          size_t at = static_cast<size_t>(c) * 7 % rows.rows();
          for (int i = c; !stop; ++i) {
            const size_t take = std::min<size_t>(static_cast<size_t>(batch), rows.rows() - at);
            const auto t = Clock::now();
            models.Predict("m" + std::to_string(i % n), rows.view().slice_rows(at, take));
            latencies[static_cast<size_t>(c)].push_back(std::chrono::duration<float, std::micro>(Clock::now() - t).count());
            done_rows += take;
            at = (at + take) % rows.rows();
          }
        });
      }
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
      stop = true;
      for (auto& t : threads) t.join();
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      std::vector<float> all;
      for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
      std::sort(all.begin(), all.end());
      auto at = [&](double q) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(q * all.size()))]; };
      std::printf("%6d  %6.0f  %6.0f  %6.0f  %17.1f  %12.1f  %13zu\n", n, static_cast<double>(done_rows) / elapsed, at(0.5),
                  at(0.99), rss_models / n, add_ms / n, models.Stats("m0").runtime.workers.size());
      std::fflush(stdout);
    }
  }
  return 0;
}
