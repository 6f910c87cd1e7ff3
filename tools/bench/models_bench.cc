// One process serving 1, 4 or 16 models (ModelSet) under the same total load: closed-loop
// callers, each predicting `--batch` rows at a time from the wine data, spread round-robin over
// the models. Prints, per model count: rows/s, p50 and p99 request latency, RSS per model and
// the time to add a model. tools/bench-models.sh runs it; docs/models.md has the results.
//
//   tfjs-run-models-bench BUNDLE ROWS.csv [--models 1,4,16] [--seconds 3] [--callers 8]
//                         [--batch 16] [--workers 0] [--model-workers W] [--warmup 0]
//                         [--threads per-model,shared,per-model-queued,shared-queued,direct]
// --threads: the designs to run, interleaved per model count so each sees the same machine:
// per-model and shared are ModelSet::Threads; with "-queued" appended, the same with
// RuntimeOptions::caller_runs off, so that every call goes through the queue and a worker's
// thread; direct (see Direct) is what moving between the models' isolates costs with no threads
// at all. --model-workers: each model's
// RuntimeOptions::workers (default: --workers). --warmup: seconds of the same load before the
// measured ones; every isolate JIT-compiles tfjs's JS itself, so with many models each sees few
// calls and runs unoptimised code for longer.
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

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string part; std::getline(s, part, ',');) out.push_back(part);
  return out;
}

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> out;
  std::stringstream s(text);
  for (std::string part; std::getline(s, part, ',');) out.push_back(std::stoi(part));
  return out;
}

// The `direct` design: no runtime, no threads, no queue. One thread loads `n` Models and predicts
// `batch` rows on each in turn, so rows/s against n = 1 is what moving between isolates costs by
// itself, with no queue, no thread hand-off and batches of exactly `batch` rows. Returns rows/s
// over `seconds`, after `warmup`.
double Direct(const tfjs_run::BundleSource& source, const tfjs_run::DenseMatrix& rows, int n, int batch, double warmup,
              double seconds) {
  tfjs_run::ModelOptions options;
  options.log = [](tfjs_run::LogLevel, std::string_view) {};
  std::vector<std::unique_ptr<tfjs_run::Model>> models;
  for (int m = 0; m < n; ++m) models.push_back(tfjs_run::Model::Load(source, options));
  size_t at = 0;
  auto run = [&](double s) {
    uint64_t done = 0;
    const auto start = Clock::now();
    for (size_t i = 0; std::chrono::duration<double>(Clock::now() - start).count() < s; ++i) {
      const size_t take = std::min<size_t>(static_cast<size_t>(batch), rows.rows() - at);
      models[i % models.size()]->Predict(rows.view().slice_rows(at, take));
      done += take;
      at = (at + take) % rows.rows();
    }
    return static_cast<double>(done) / std::chrono::duration<double>(Clock::now() - start).count();
  };
  run(warmup);
  return run(seconds);
}

// The load: closed-loop callers, `batch` rows a call, round-robin over the models.
struct Load {
  tfjs_run::DenseMatrix rows;
  tfjs_run::BundleSource source;
  int callers = 8, batch = 16, workers = 0, model_workers = -1;
  double warmup = 0, seconds = 3;
};

// Serves `n` models in a ModelSet of `design` (per-model or shared, either "-queued") under `load`
// and prints a row.
void RunModelSet(const Load& load, const std::string& design, int n) {
  const bool queued = design.size() > 7 && design.compare(design.size() - 7, 7, "-queued") == 0;
  const bool per_model = design.rfind("per-model", 0) == 0;
  const tfjs_run::DenseMatrix& rows = load.rows;
  const int n_callers = load.callers, batch = load.batch, model_workers = load.model_workers;
  const double warmup = load.warmup, seconds = load.seconds;
  tfjs_run::RuntimeOptions options;
  options.workers = static_cast<size_t>(load.workers);
  options.model.log = [](tfjs_run::LogLevel, std::string_view) {};
  options.caller_runs = !queued;
  const double rss_before = RssMiB();
  double add_ms = 0;
  tfjs_run::ModelSet models(options, per_model ? tfjs_run::ModelSet::Threads::kPerModel
                                               : tfjs_run::ModelSet::Threads::kShared);
  for (int m = 0; m < n; ++m) {
    const auto t = Clock::now();
    tfjs_run::RuntimeOptions own = options;
    if (model_workers >= 0) own.workers = static_cast<size_t>(model_workers);
    models.AddModel("m" + std::to_string(m), load.source, own);
    add_ms += std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  }
  const double rss_models = RssMiB() - rss_before;
  std::atomic<bool> stop{false}, measuring{warmup <= 0};
  std::atomic<uint64_t> done_rows{0};
  std::vector<std::vector<float>> latencies(static_cast<size_t>(n_callers));
  std::vector<std::thread> threads;
  for (int c = 0; c < n_callers; ++c) {
    threads.emplace_back([&, c] {
      size_t at = static_cast<size_t>(c) * 7 % rows.rows();
      for (int i = c; !stop; ++i) {
        const size_t take = std::min<size_t>(static_cast<size_t>(batch), rows.rows() - at);
        const auto t = Clock::now();
        models.Predict("m" + std::to_string(i % n), rows.view().slice_rows(at, take));
        at = (at + take) % rows.rows();
        if (!measuring) continue;
        latencies[static_cast<size_t>(c)].push_back(std::chrono::duration<float, std::micro>(Clock::now() - t).count());
        done_rows += take;
      }
    });
  }
  if (warmup > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
    measuring = true;
  }
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<float> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto at = [&](double q) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(q * all.size()))];
  };
  std::printf("%-16s  %6d  %6.0f  %6.0f  %6.0f  %17.1f  %12.1f  %13zu\n", design.c_str(), n,
              static_cast<double>(done_rows) / elapsed, at(0.5), at(0.99), rss_models / n, add_ms / n,
              models.Stats("m0").runtime.workers.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BUNDLE ROWS.csv [--models 1,4,16] [--seconds S] [--callers C] [--batch B] "
                         "[--workers W] [--model-workers W] [--warmup S] [--threads per-model,shared,direct,...]\n",
                 argv[0]);
    return 1;
  }
  std::vector<int> counts = {1, 4, 16};
  std::vector<std::string> designs = {"per-model", "shared", "direct"};
  Load load{tfjs_run::cli::ReadCsvFile(argv[2]), tfjs_run::BundleSource::FromFile(argv[1])};
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--models") counts = ParseList(argv[i + 1]);
    else if (flag == "--seconds") load.seconds = std::stod(argv[i + 1]);
    else if (flag == "--callers") load.callers = std::stoi(argv[i + 1]);
    else if (flag == "--batch") load.batch = std::stoi(argv[i + 1]);
    else if (flag == "--workers") load.workers = std::stoi(argv[i + 1]);
    else if (flag == "--threads") designs = Split(argv[i + 1]);
    else if (flag == "--warmup") load.warmup = std::stod(argv[i + 1]);
    else if (flag == "--model-workers") load.model_workers = std::stoi(argv[i + 1]);
  }
  for (const std::string& design : designs) {
    if (design != "per-model" && design != "shared" && design != "per-model-queued" && design != "shared-queued" &&
        design != "direct") {
      std::fprintf(stderr, "--threads: per-model, shared, per-model-queued, shared-queued or direct, not '%s'\n",
                   design.c_str());
      return 1;
    }
  }
  std::printf("threads           models  rows/s  p50_us  p99_us  rss_per_model_mib  add_ms(mean)  workers/model\n");
  for (int n : counts) {
    for (const std::string& design : designs) {  // interleaved, so both designs see the same machine
      if (design == "direct") {
        const double rows_per_s = Direct(load.source, load.rows, n, load.batch, load.warmup, load.seconds);
        std::printf("%-16s  %6d  %6.0f\n", design.c_str(), n, rows_per_s);
        continue;
      }
      RunModelSet(load, design, n);
      std::fflush(stdout);
    }
  }
  return 0;
}
