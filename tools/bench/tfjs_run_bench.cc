// tfjs-run-bench: rows/s of Model::Predict at several batch sizes, and cold load time.
// Prints JSON lines (the same shape as tools/node-harness.js --bench) for tools/bench.sh.
//
//   tfjs-run-bench BUNDLE ROWS.csv [--batch-sizes 1,64,4096] [--seconds 2] [--warmup 1] [--loads 5]
//                  [--model-exec auto|native|tfjs] [--check-verdicts DIR]
// --check-verdicts: where the load-time check's passes are remembered (ModelOptions::check_verdict_dir);
// with a fresh DIR, the first load runs the check and the later ones skip it.
// Each batch size is first run for --warmup seconds, not measured (TurboFan compiles tfjs for
// about a second of CPU after load; tools/node-harness.js --bench warms up the same way).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tfjs-run-bench BUNDLE ROWS.csv [--batch-sizes 1,64,4096] [--seconds S] [--warmup S] [--loads N] [--model-exec auto|native|tfjs] [--check-verdicts DIR]\n");
    return 1;
  }
  std::string bundle_path = argv[1], rows_path = argv[2], batches = "1,64,4096";
  double seconds = 2, warmup = 1;
  int loads = 5;
  tfjs_run::ModelOptions options;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--batch-sizes") batches = argv[i + 1];
    else if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (a == "--loads") loads = std::stoi(argv[i + 1]);
    else if (a == "--warmup") warmup = std::stod(argv[i + 1]);
    else if (a == "--check-verdicts") options.check_verdict_dir = argv[i + 1];
    else if (a == "--model-exec") {
      const std::string e = argv[i + 1];
      options.model_exec = e == "native" ? tfjs_run::ModelExec::kNative
                           : e == "tfjs" ? tfjs_run::ModelExec::kTfjs : tfjs_run::ModelExec::kAuto;
    }
  }
  auto source = tfjs_run::BundleSource::FromFile(bundle_path);
  const tfjs_run::DenseMatrix rows = tfjs_run::cli::ReadCsvFile(rows_path);
  const size_t cols = rows.cols();

  // Cold loads: a fresh isolate each time (the first one also pays V8's process start-up).
  std::vector<double> load_ms;
  for (int i = 0; i < loads; ++i) {
    auto start = Clock::now();
    auto m = tfjs_run::Model::Load(source, options);
    load_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::vector<double> later(load_ms.begin() + (loads > 1 ? 1 : 0), load_ms.end());
  std::sort(later.begin(), later.end());
  std::printf("{\"runner\":\"tfjs-run\",\"first_load_ms\":%.1f,\"median_load_ms\":%.1f}\n", load_ms[0],
              later[later.size() / 2]);

  auto model = tfjs_run::Model::Load(source, options);
  std::stringstream ss(batches);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const size_t batch = std::stoul(item);
    std::vector<float> input(batch * cols);
    for (size_t r = 0; r < batch; ++r) {
      auto src = rows.row(r % rows.rows());
      std::copy(src.begin(), src.end(), input.begin() + r * cols);
    }
    tfjs_run::DenseMatrixView view(input.data(), batch, cols);
    // Warm-up, not measured: until TurboFan has compiled what this batch size runs.
    for (auto until = Clock::now() + std::chrono::duration<double>(warmup); Clock::now() < until;) model->Predict(view);
    size_t done = 0, calls = 0;
    auto start = Clock::now();
    auto until = start + std::chrono::duration<double>(seconds);
    while (Clock::now() < until) {
      model->Predict(view);
      done += batch;
      ++calls;
    }
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("{\"runner\":\"tfjs-run\",\"backend\":\"%s\",\"exec\":\"%s\",\"batch\":%zu,\"rows_per_s\":%.1f,"
                "\"us_per_call\":%.3f,\"calls\":%zu}\n",
                model->info().backend.c_str(), model->info().model_exec.c_str(), batch, done / s, s * 1e6 / calls, calls);
    std::fflush(stdout);
  }
  return 0;
}
