// tfjs-run: runs a tfjs bundle over rows read from stdin or files, writing one prediction per row.
//
//   tfjs-run ml.bundle.js < rows.csv > predictions.csv
//   tfjs-run ml.bundle.js part1.csv part2.csv > predictions.csv
//
// Exit codes: 0 every row predicted (or skipped / dropped with --on-error skip / drop); 1 usage;
// 2 bad input (a malformed row, one of the wrong width, an input file that cannot be read) stopped
// the run; 3 the bundle failed to load or predict; 4 writing the output failed (EPIPE included:
// `| head` ends the run promptly, with the summary).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cerrno>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "input_files.h"
#include "messages.h"
#include "model_set_run.h"
#include "options.h"
#include "pipeline.h"
#include "progress.h"
#include "stop_reloads.h"
#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

namespace {

using tfjs_run::cli::CliOptions;
using tfjs_run::cli::PipelineResult;
using Clock = std::chrono::steady_clock;

enum ExitCode { kOk = 0, kUsage = 1, kBadInput = 2, kModelFailed = 3, kOutputFailed = 4 };

// SIGINT / SIGTERM: stop reading input, answer (or reject) every row already read, flush, print
// the summary, and exit 128 + the signal. The handler makes stdin /dev/null, so the reader sees
// end of input wherever it is (even blocked in read(2)); a second signal kills at once.
// Lock-free, so the handler may set it, and atomic, so another thread may read it.
std::atomic<int> g_stop_signal{0};
int64_t g_started_unix_ms = 0;  // for --metrics-file's since
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void OnStopSignal(int sig) {
  g_stop_signal = sig;
  const int fd = ::open("/dev/null", O_RDONLY);  // async-signal-safe, as are dup2 and close
  if (fd >= 0) {
    ::dup2(fd, STDIN_FILENO);
    ::close(fd);
  }
}

void InstallStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = &OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // no SA_RESTART: a blocked read returns; a second signal kills
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void PrintError(const std::exception& e) {
  std::fprintf(stderr, "tfjs-run: error: %s\n", e.what());
  if (auto* te = dynamic_cast<const tfjs_run::Error*>(&e); te && !te->js_stack().empty()) {
    std::fprintf(stderr, "%s\n", te->js_stack().c_str());
  }
}

void PrintStats(const tfjs_run::RuntimeStats& s, const tfjs_run::BundleInfo& info, double startup_ms) {
  // The fixed cost of a run, before the first row: every isolate loaded (worker 0 first; if it
  // had no code cache it warms up once and makes one, and the others load from it in parallel).
  double warmup_ms = 0;
  for (const auto& w : s.workers) warmup_ms += w.warmup_ms;
  std::fprintf(stderr, "tfjs-run: stats: start-up %.0f ms: %zu isolate(s) loaded (load ms per worker below), "
               "code-cache warm-up %.0f ms\n", startup_ms, s.workers.size(), warmup_ms);
  std::fprintf(stderr, "tfjs-run: stats: model exec %s: %s\n", info.model_exec.c_str(), info.model_exec_note.c_str());
  std::fprintf(stderr, "tfjs-run: stats: %-6s %-4s %10s %10s %8s %10s %9s %9s %9s %9s %8s %7s %8s %s\n", "worker",
               "core", "requests", "rows", "batches", "mean batch", "p50 us", "p99 us", "busy s", "cpu s", "load ms",
               "cache", "recycled", "version");
  for (const auto& w : s.workers) {
    std::fprintf(stderr,
                 "tfjs-run: stats: %-6zu %-4d %10llu %10llu %8llu %10.1f %9.0f %9.0f %9.3f %9.3f %8.1f %7s %8llu %s\n",
                 w.worker, w.cpu, static_cast<unsigned long long>(w.requests), static_cast<unsigned long long>(w.rows),
                 static_cast<unsigned long long>(w.batches), w.mean_batch_rows, w.latency.p50_us, w.latency.p99_us,
                 w.busy_seconds, w.cpu_seconds, w.load_ms, w.code_cache_accepted ? "hit" : "miss",
                 static_cast<unsigned long long>(w.recycles), w.version.c_str());
  }
  std::fprintf(stderr, "tfjs-run: stats: queue now %zu rows, max %zu rows; overload refusals %llu; "
               "latency p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n",
               s.queue_rows, s.max_queue_rows_seen, static_cast<unsigned long long>(s.rejected_overloaded),
               s.latency.p50_us, s.latency.p90_us, s.latency.p99_us, s.latency.max_us);
}

std::string BundleInfoJson(const tfjs_run::BundleInfo& info) {
  nlohmann::ordered_json j = {
      {"contract", info.contract == tfjs_run::BundleContract::kV1 ? "v1" : "tf.js-on-flink"},
      {"name", info.name},
      {"version", info.version},
      {"sha256", info.sha256},
      {"backend", info.backend},
      {"input_cols", info.input_cols},
      {"output_cols", info.output_cols},
      {"model_exec", info.model_exec},
      {"model_exec_note", info.model_exec_note},
  };
  if (!info.feature_names.empty()) j["feature_names"] = info.feature_names;
  if (!info.model_input_shape.empty()) {
    nlohmann::ordered_json shape = nlohmann::json::array();
    for (int64_t d : info.model_input_shape) shape.push_back(d < 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(d));
    j["model_input_shape"] = shape;
  }
  if (!info.outputs.empty()) {
    nlohmann::ordered_json outputs = nlohmann::json::array();
    for (const auto& o : info.outputs) {
      outputs.push_back({{"name", o.name}, {"columns", {o.first_col, o.first_col + o.cols}}});
    }
    j["outputs"] = outputs;
  }
  return j.dump();
}

// Starts serving the first version published at --watch: under the manifest's version name, so
// --with-version and the poller agree, and checked against the manifest's sample before it answers
// a row (no reload checked it).
// Loads the bundle (BUNDLE, or the first version --watch finds) and follows --watch.
std::unique_ptr<tfjs_run::Runtime> StartRuntime(const CliOptions& o, double& startup_ms) {
  std::unique_ptr<tfjs_run::Runtime> runtime;
  if (!o.bundle.empty()) {
    const auto start = Clock::now();
    runtime = tfjs_run::Runtime::Start(tfjs_run::BundleSource::FromFile(o.bundle), o.runtime);
    startup_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (o.watch) runtime->Watch(*o.watch);
  } else {
    // The first version under its manifest's name, its answers checked, then followed.
    const auto start = Clock::now();
    runtime = tfjs_run::Runtime::StartWatching(*o.watch, o.runtime);
    startup_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  return runtime;
}

void PrintWatchSummary(tfjs_run::Runtime& runtime) {
  const tfjs_run::RuntimeStats s = runtime.Stats();
  std::string reasons;
  for (const auto& [reason, n] : s.watch.failures_by_reason) reasons += " " + reason + "=" + std::to_string(n);
  std::fprintf(stderr, "tfjs-run: watch: serving version %s; %llu polls, %llu unchanged, %llu downloads, "
               "%llu failures%s; %llu reloads, %llu failed, %llu rolled back%s%s\n",
               runtime.info().version.c_str(), static_cast<unsigned long long>(s.watch.polls),
               static_cast<unsigned long long>(s.watch.unchanged), static_cast<unsigned long long>(s.watch.downloads),
               static_cast<unsigned long long>(s.watch.failures), reasons.c_str(),
               static_cast<unsigned long long>(s.reloads_ok), static_cast<unsigned long long>(s.reloads_failed),
               static_cast<unsigned long long>(s.rollbacks), s.last_rollback.empty() ? "" : ": ",
               s.last_rollback.c_str());
}

// The exit code of a finished run, saying on stderr why the output or the input ended early.
int ExitCode(PipelineResult result, const tfjs_run::cli::Pipeline& pipeline, const tfjs_run::cli::InputFiles& inputs) {
  int exit_code = kOk;
  switch (result) {
    case PipelineResult::kOk: break;
    case PipelineResult::kBadInput: exit_code = kBadInput; break;
    case PipelineResult::kModelFailed: exit_code = kModelFailed; break;
    case PipelineResult::kOutputFailed:
      std::fprintf(stderr, "tfjs-run: error: writing the output failed (%s); stopped reading input after %s\n",
                   std::strerror(pipeline.output_error()), inputs.Where(pipeline.last_line()).c_str());
      exit_code = kOutputFailed;
      break;
  }
  if (!inputs.error().empty() || pipeline.read_error() != 0) {
    // The input ended early: what was read before is answered; the rest is not read.
    if (!inputs.error().empty()) {
      std::fprintf(stderr, "tfjs-run: error: %s\n", inputs.error().c_str());
    } else {
      std::fprintf(stderr, "tfjs-run: error: reading the input failed after %s: %s\n",
                   inputs.Where(pipeline.last_line()).c_str(), std::strerror(pipeline.read_error()));
    }
    if (exit_code == kOk) exit_code = kBadInput;
  }
  return exit_code;
}

// --metrics-file: the Prometheus text of the run's one model, named as its bundle names itself.
bool WriteMetrics(const std::string& path, const tfjs_run::Runtime& runtime) {
  const std::string name = runtime.info().name.empty() ? std::string("model") : runtime.info().name;
  return tfjs_run::cli::WriteMetricsFile(path, tfjs_run::PrometheusText({tfjs_run::StatsOf(name, runtime, g_started_unix_ms)}));
}

// Answers every row of the inputs, then reports: the summary, --stats, the watch's summary.
int RunRows(const CliOptions& o, tfjs_run::Runtime& runtime, tfjs_run::cli::InputFiles& inputs, double startup_ms,
            Clock::time_point wall_start) {
  tfjs_run::cli::PipelineOptions pipeline_options = o.pipeline;
  pipeline_options.stop_requested = [] { return g_stop_signal != 0; };
  tfjs_run::cli::Pipeline pipeline(runtime, pipeline_options);
  InstallStopSignals();
  // A reader that goes away (`| head`) is an output error like any other: exit 4 with the summary.
  std::signal(SIGPIPE, SIG_IGN);
  std::optional<tfjs_run::cli::StopReloadsOnSignal> stop_reloads;
  if (o.watch) stop_reloads.emplace([] { return g_stop_signal != 0; }, [&runtime] { runtime.StopReloading(); });
  PipelineResult result = PipelineResult::kOk;
  try {
    tfjs_run::cli::ProgressLine progress(pipeline, [&runtime] { return runtime.info().version; }, !o.quiet);
    result = pipeline.Run(inputs, o.reader, stdout);
  } catch (const std::invalid_argument& e) {  // a --columns spec that cannot be read
    std::fprintf(stderr, "tfjs-run: %s\n", e.what());
    return kUsage;
  }
  int exit_code = ExitCode(result, pipeline, inputs);
  const tfjs_run::cli::RowCounts counters = pipeline.counts();
  if (g_stop_signal != 0) {
    std::fprintf(stderr, "tfjs-run: %s: stopped reading input after %s; every row read is accounted for\n",
                 g_stop_signal == SIGINT ? "SIGINT" : "SIGTERM", inputs.Where(pipeline.last_line()).c_str());
  }
  const double predict_wall = std::chrono::duration<double>(Clock::now() - pipeline.first_row_time()).count();
  if (exit_code == kOk && counters.read == 0 && pipeline.last_line() > 0 && o.log_level <= tfjs_run::LogLevel::kWarn) {
    std::fprintf(stderr, "tfjs-run: warning: the input has no data rows (only a header or blank lines)\n");
  }
  if (exit_code != kOutputFailed && std::fflush(stdout) != 0) {
    std::fprintf(stderr, "tfjs-run: error: writing the output failed (%s)\n", std::strerror(errno));
    exit_code = kOutputFailed;
  }
  if (!o.quiet) {
    tfjs_run::cli::PrintSummary(counters, std::chrono::duration<double>(Clock::now() - wall_start).count(),
                 counters.read ? predict_wall : 0);
  }
  if (o.stats) PrintStats(runtime.Stats(), runtime.info(), startup_ms);
  if (!o.metrics_file.empty() && !WriteMetrics(o.metrics_file, runtime) && exit_code == kOk) exit_code = kOutputFailed;
  if (g_stop_signal != 0) exit_code = 128 + g_stop_signal;
  if (o.watch && !o.quiet) PrintWatchSummary(runtime);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  const auto wall_start = Clock::now();
  g_started_unix_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::optional<CliOptions> options;
  try {
    options = tfjs_run::cli::ParseCommandLine(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tfjs-run: %s\n", e.what());
    return kUsage;
  }
  if (!options) return kOk;  // --help or --version

  // Every input file is checked before the bundle loads: a typo fails at once.
  std::optional<tfjs_run::cli::InputFiles> inputs;
  try {
    inputs.emplace(options->inputs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tfjs-run: error: %s\n", e.what());
    return kBadInput;
  }

  if (options->several_models()) {
    InstallStopSignals();
    std::signal(SIGPIPE, SIG_IGN);
    const int exit_code =
        tfjs_run::cli::RunModelSet(*options, *inputs, [] { return g_stop_signal.load(); }, g_started_unix_ms);
    return g_stop_signal != 0 ? 128 + g_stop_signal : exit_code;
  }
  std::unique_ptr<tfjs_run::Runtime> runtime;
  double startup_ms = 0;
  try {
    runtime = StartRuntime(*options, startup_ms);
  } catch (const std::exception& e) {
    PrintError(e);
    return kModelFailed;
  }
  if (options->info) {
    std::printf("%s\n", BundleInfoJson(runtime->info()).c_str());
    return kOk;
  }
  return RunRows(*options, *runtime, *inputs, startup_ms, wall_start);
}
