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
#include <functional>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <cxxopts.hpp>
#include <nlohmann/json.hpp>

#include "input_files.h"
#include "messages.h"
#include "pipeline.h"
#include "progress.h"
#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

namespace {

using tfjs_run::DenseMatrix;
using tfjs_run::DenseMatrixView;
using tfjs_run::cli::LogToStderr;
using tfjs_run::cli::OnError;
using tfjs_run::cli::PipelineResult;
using Clock = std::chrono::steady_clock;

enum ExitCode { kOk = 0, kUsage = 1, kBadInput = 2, kModelFailed = 3, kOutputFailed = 4 };

// --on-error: stop; or report and write a NaN line in the row's place, so output line N still
// answers input row N; or report and write nothing for it.
// SIGINT / SIGTERM: stop reading input, answer (or reject) every row already read, flush, print
// the summary, and exit 128 + the signal. The handler makes stdin /dev/null, so the reader sees
// end of input wherever it is (even blocked in read(2)); a second signal kills at once.
// Lock-free, so the handler may set it, and atomic, so another thread may read it.
std::atomic<int> g_stop_signal{0};
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

// With --watch: abandons a reload in progress as soon as SIGINT or SIGTERM arrives, so a worker
// busy loading a new version goes back to answering the rows already read, and exit is prompt.
class StopReloadsOnSignal {
 public:
  explicit StopReloadsOnSignal(tfjs_run::Runtime& runtime)
      : thread_([this, &runtime] {
          while (!done_ && g_stop_signal == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
          if (g_stop_signal != 0) runtime.StopReloading();
        }) {}
  ~StopReloadsOnSignal() {
    done_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// cxxopts says "Argument 'abc' failed to parse" without the option: find the option that was
// given that value, so the message names it.
std::string NameTheOption(const std::string& message, int argc, char** argv) {
  const size_t open = message.find("\xE2\x80\x98"), close = message.find("\xE2\x80\x99");  // ‘ ’
  if (open == std::string::npos || close == std::string::npos || close < open) return message;
  const std::string value = message.substr(open + 3, close - open - 3);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0 && arg.size() > value.size() + 1 && arg.compare(arg.size() - value.size(), std::string::npos, value) == 0 &&
        arg[arg.size() - value.size() - 1] == '=') {
      return arg.substr(0, arg.size() - value.size() - 1) + ": '" + value + "' is not a valid value";
    }
    if (arg == value && i > 1 && argv[i - 1][0] == '-') {
      return std::string(argv[i - 1]) + ": '" + value + "' is not a valid value";
    }
  }
  return message;
}

void PrintError(const std::exception& e) {
  std::fprintf(stderr, "tfjs-run: error: %s\n", e.what());
  if (auto* te = dynamic_cast<const tfjs_run::Error*>(&e); te && !te->js_stack().empty()) {
    std::fprintf(stderr, "%s\n", te->js_stack().c_str());
  }
}

// Three significant figures at least: "238234", "512", "0.512", never "1" for 0.512.
std::string Rate(double rate) {
  char text[32];
  std::snprintf(text, sizeof text, rate >= 100 ? "%.0f" : "%.3g", rate);
  return text;
}

void PrintSummary(const tfjs_run::cli::RowCounts& c, double wall_seconds, double predict_wall_seconds) {
  double rate = predict_wall_seconds > 0 ? static_cast<double>(c.predicted) / predict_wall_seconds : 0;
  std::string unprocessed =
      c.unprocessed ? ", not processed after the error " + std::to_string(c.unprocessed) : std::string();
  if (c.blank) unprocessed += ", blank lines " + std::to_string(c.blank);
  if (c.unwritten) unprocessed += ", answered but not written " + std::to_string(c.unwritten);
  std::fprintf(stderr,
               "tfjs-run: summary: rows read %llu, predicted %llu, rejected %llu%s; "
               "%s rows/s (%.3f s from first row to last result), %.3f s wall\n",
               static_cast<unsigned long long>(c.read), static_cast<unsigned long long>(c.predicted),
               static_cast<unsigned long long>(c.rejected), unprocessed.c_str(), Rate(rate).c_str(), predict_wall_seconds,
               wall_seconds);
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

std::string DefaultCodeCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/tfjs-run";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/tfjs-run";
  return {};
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

// An option's default as --help shows it, from the library's option structs (the one source of
// defaults: runtime.h and model.h), so the CLI cannot drift from them.
template <typename T>
std::string Default(T value) {
  std::ostringstream s;
  s << value;
  return s.str();
}
template <typename Rep, typename Period>
std::string DefaultSeconds(std::chrono::duration<Rep, Period> d) {
  return Default(std::chrono::duration<double>(d).count());
}
template <typename Rep, typename Period>
std::string DefaultMs(std::chrono::duration<Rep, Period> d) {
  return Default(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

int main(int argc, char** argv) {
  const auto wall_start = Clock::now();
  const tfjs_run::RuntimeOptions runtime_defaults;
  const tfjs_run::WatchOptions watch_defaults;
  cxxopts::Options options("tfjs-run",
                           "Runs a tfjs model bundle (ml.bundle.js) over rows from the FILEs, read in order like cat\n"
                           "('-' or none: stdin), and writes one prediction row per input row to stdout, in input\n"
                           "order (a blank line for a blank line). A summary goes to stderr.\n\n"
                           "  tfjs-run ml.bundle.js < rows.csv > predictions.csv\n"
                           "  tfjs-run ml.bundle.js part1.csv part2.csv > predictions.csv\n"
                           "  tfjs-run ml.bundle.js --columns 1-13 --batch-size 64 < wine.csv\n\n"
                           "Exit codes: 0 ok (empty input too); 1 usage; 2 bad input row or unreadable input file;\n"
                           "3 bundle load/predict failure; 4 output error (a closed pipe too: `| head` gives 4 and\n"
                           "the summary).\n");
  options.positional_help("BUNDLE [FILE...]").show_positional_help();
  // clang-format off
  options.add_options("Input")
    ("input-format", "Input format: csv (RFC 4180: quoted fields may hold the delimiter, \"\" and newlines) or "
        "jsonl (one JSON array of numbers, or object, per line). A bundle's feature names (--info) are matched to "
        "a CSV header's columns and JSON objects' keys by name; without them, JSON objects need --columns",
        cxxopts::value<std::string>()->default_value("csv"))
    ("header", "The first CSV line is a header (default: detected: a header if no field of it is a number)")
    ("no-header", "The first CSV line is data")
    ("d,delimiter", "CSV field delimiter, one character (\\t for tab)", cxxopts::value<std::string>()->default_value(","))
    ("c,columns", "Feature columns: 0-based indices, inclusive ranges and/or header names or JSON keys, "
        "comma-separated, in the model's order, e.g. 1-13 or 'alcohol,ash'. Default: the bundle's feature names "
        "when the input has names, else all columns", cxxopts::value<std::string>()->default_value(""))
    ("allow-nonfinite", "Pass NaN and infinity on to the model (default: a bad row). A number outside float32's "
        "range is a bad row either way")
    ("max-line-bytes", "A longer input line is a bad row", cxxopts::value<size_t>()->default_value("16777216"));
  options.add_options("Output")
    ("output-format", "Output format: csv or jsonl", cxxopts::value<std::string>()->default_value("csv"))
    ("q,quiet", "Only errors on stderr: no summary, progress line, warnings or bundle console output")
    ("log-level", "Least level of log lines on stderr (the bundle's console, load, reload, watch): debug, info, "
     "warn or error", cxxopts::value<std::string>()->default_value("info"))
    ("with-version", "Append the bundle version that computed each row (a last CSV column, or "
        "{\"prediction\": [...], \"version\": ...} in JSON lines)")
    ("stats", "Print per-worker stats on stderr at the end: requests, rows, batches, mean batch size, queue depth, "
        "latency percentiles, load time, code-cache hit")
    ("info", "Load the bundle, print what it declares as JSON, and exit");
  options.add_options("Model")
    ("b,batch-size", "Rows per predict call", cxxopts::value<size_t>()->default_value(Default(runtime_defaults.max_batch_rows)))
    ("t,threads", "Worker threads, one V8 isolate each (0: one per core this process may use; they are then pinned one per core)",
        cxxopts::value<size_t>()->default_value("0"))
    ("max-batch-rows", "Most rows a worker puts in one predict call by joining queued batches (default: --batch-size)",
        cxxopts::value<size_t>()->default_value("0"))
    ("max-batch-delay", "Microseconds a worker waits for more rows before predicting a partial batch",
        cxxopts::value<int64_t>()->default_value("0"))
    ("code-cache", "Directory for the V8 code cache reused across runs, or 'none' "
        "(default: $XDG_CACHE_HOME/tfjs-run or ~/.cache/tfjs-run)", cxxopts::value<std::string>()->default_value(""))
    ("on-error", "What a bad row (malformed, or of the wrong width) or a failed prediction does: fail (stop, "
        "exit 2 or 3), skip (report it on stderr and write a line of NaN in its place, so output line N answers "
        "input row N), or drop (report it and write nothing for it)", cxxopts::value<std::string>()->default_value("fail"))
    ("skip-retry-seconds", "With --on-error skip, how long the rows of a failed batch may be retried (by "
     "bisection) to find the ones that fail; rows not answered by then are skipped", cxxopts::value<double>()->default_value("120"))
    ("load-timeout-ms", "Deadline for the bundle's load", cxxopts::value<int64_t>()->default_value(DefaultMs(runtime_defaults.model.load_timeout)))
    ("predict-timeout-ms", "Deadline for each predict call; past it the call is terminated, its rows fail "
     "with a timeout error, and the worker's isolate is replaced",
     cxxopts::value<int64_t>()->default_value(DefaultMs(runtime_defaults.model.predict_timeout)))
    ("model-exec", "Where the model's math runs: auto (natively when every layer of the bundle's model is "
     "covered and it agrees with tfjs at load, else tfjs), native (or fail the load, saying why), tfjs. --info "
     "shows which, and why", cxxopts::value<std::string>()->default_value("auto"))
    ("max-heap-mb", "Each isolate's JS heap limit, MiB (0: V8's default). JS past it is terminated, its rows "
     "fail with a memory error, and the isolate is replaced",
     cxxopts::value<size_t>()->default_value(Default(runtime_defaults.model.max_heap_mb)))
    ("max-buffer-mb", "Each isolate's budget for ArrayBuffers and WebAssembly memory, MiB (0: no limit); "
     "enforced like --max-heap-mb", cxxopts::value<size_t>()->default_value(Default(runtime_defaults.model.max_buffer_mb)));
  options.add_options("Hot reload")
    ("watch", "Follow a published layout (a directory, file:// or http(s):// URL holding manifest.json, see "
        "docs/publishing.md) and switch to each new version without losing a row. Without BUNDLE, the first "
        "version comes from there too", cxxopts::value<std::string>())
    ("poll-interval", "Seconds between polls of --watch", cxxopts::value<double>()->default_value(DefaultSeconds(watch_defaults.poll_interval)))
    ("watch-timeout", "Seconds a manifest or bundle download may take",
        cxxopts::value<double>()->default_value(DefaultSeconds(watch_defaults.total_timeout)))
    ("max-bundle-mb", "Largest bundle --watch downloads, MiB",
        cxxopts::value<size_t>()->default_value(Default(watch_defaults.max_bundle_bytes >> 20)))
    ("rollback-window", "Seconds after a switch that each worker keeps the previous version: a request the new "
     "version fails and the previous answers rolls back to it and marks the new one bad (0: no time limit)",
     cxxopts::value<double>()->default_value(DefaultSeconds(runtime_defaults.rollback_window)))
    ("rollback-window-batches", "Batches on the new version (over all workers) after which the rollback window "
     "closes, whichever comes first (0: no batch limit; both 0: no window)",
     cxxopts::value<uint64_t>()->default_value(Default(runtime_defaults.rollback_window_batches)))
    ("insecure", "Do not verify TLS certificates of --watch (default: verify)");
  options.add_options()
    ("bundle", "The bundle (ml.bundle.js)", cxxopts::value<std::string>())
    ("inputs", "Input files, read in order ('-': stdin); none: stdin", cxxopts::value<std::vector<std::string>>())
    ("version", "Print the versions of tfjs-run and V8, and exit")
    ("h,help", "Print this help");
  // clang-format on
  options.parse_positional({"bundle", "inputs"});

  cxxopts::ParseResult args;
  tfjs_run::cli::RowReaderOptions reader_options;
  tfjs_run::cli::OutputFormat output_format = tfjs_run::cli::OutputFormat::kCsv;
  size_t batch_size = runtime_defaults.max_batch_rows;
  OnError on_error = OnError::kFail;
  tfjs_run::LogLevel log_level = tfjs_run::LogLevel::kInfo;
  try {
    try {
      args = options.parse(argc, argv);
    } catch (const cxxopts::exceptions::incorrect_argument_type& e) {
      throw cxxopts::exceptions::exception(NameTheOption(e.what(), argc, argv));
    }
    if (args.count("help")) {
      std::cout << options.help({"", "Input", "Output", "Model", "Hot reload"}) << std::endl;
      return kOk;
    }
    if (args.count("version")) {
      std::printf("tfjs-run %s (V8 %s)\n", tfjs_run::RuntimeVersion().c_str(), tfjs_run::V8Version().c_str());
      return kOk;
    }
    const std::string level = args["log-level"].as<std::string>();
    if (level == "debug") log_level = tfjs_run::LogLevel::kDebug;
    else if (level == "warn") log_level = tfjs_run::LogLevel::kWarn;
    else if (level == "error") log_level = tfjs_run::LogLevel::kError;
    else if (level != "info") throw cxxopts::exceptions::exception("--log-level must be debug, info, warn or error");
    if (args.count("quiet")) log_level = tfjs_run::LogLevel::kError;
    if (!args.count("bundle") && !args.count("watch")) {
      throw cxxopts::exceptions::exception("missing BUNDLE (or --watch; see --help)");
    }
    std::string in_fmt = args["input-format"].as<std::string>();
    if (in_fmt == "jsonl") reader_options.format = tfjs_run::cli::InputFormat::kJsonLines;
    else if (in_fmt != "csv") throw cxxopts::exceptions::exception("--input-format must be csv or jsonl");
    std::string out_fmt = args["output-format"].as<std::string>();
    if (out_fmt == "jsonl") output_format = tfjs_run::cli::OutputFormat::kJsonLines;
    else if (out_fmt != "csv") throw cxxopts::exceptions::exception("--output-format must be csv or jsonl");
    if (args.count("header") && args.count("no-header")) throw cxxopts::exceptions::exception("--header and --no-header conflict");
    if (args.count("header")) reader_options.header = tfjs_run::cli::HeaderMode::kYes;
    if (args.count("no-header")) reader_options.header = tfjs_run::cli::HeaderMode::kNo;
    std::string delim = args["delimiter"].as<std::string>();
    if (delim == "\\t") delim = "\t";
    if (delim.size() != 1) throw cxxopts::exceptions::exception("--delimiter must be one character");
    reader_options.delimiter = delim[0];
    reader_options.columns = args["columns"].as<std::string>();
    reader_options.allow_nonfinite = args.count("allow-nonfinite") > 0;
    batch_size = args["batch-size"].as<size_t>();
    if (batch_size == 0) throw cxxopts::exceptions::exception("--batch-size must be at least 1");
    const std::string exec = args["model-exec"].as<std::string>();
    if (exec != "auto" && exec != "native" && exec != "tfjs") {
      throw cxxopts::exceptions::exception("--model-exec must be auto, native or tfjs");
    }
    std::string on_error_name = args["on-error"].as<std::string>();
    if (on_error_name != "fail" && on_error_name != "skip" && on_error_name != "drop") {
      throw cxxopts::exceptions::exception("--on-error must be fail, skip or drop");
    }
    on_error = on_error_name == "skip" ? OnError::kSkip : on_error_name == "drop" ? OnError::kDrop : OnError::kFail;
    for (const std::string name : {"load-timeout-ms", "predict-timeout-ms"}) {
      const int64_t ms = args[name].as<int64_t>();
      if (ms < 1 || ms > 86400000) throw cxxopts::exceptions::exception("--" + name + " must be in [1, 86400000]");
    }
    // Every number within what the machine can do, so none ends in bad_alloc or a V8 fatal error.
    auto in_range = [&](const std::string& name, double value, double lo, double hi) {
      if (!(value >= lo && value <= hi)) {
        char text[160];
        std::snprintf(text, sizeof(text), "--%s must be in [%g, %g], got %g", name.c_str(), lo, hi, value);
        throw cxxopts::exceptions::exception(text);
      }
    };
    in_range("batch-size", static_cast<double>(batch_size), 1, 1 << 20);
    in_range("threads", static_cast<double>(args["threads"].as<size_t>()), 0, 256);
    in_range("max-batch-rows", static_cast<double>(args["max-batch-rows"].as<size_t>()), 0, 1 << 20);
    in_range("max-batch-delay", static_cast<double>(args["max-batch-delay"].as<int64_t>()), 0, 10'000'000);
    in_range("max-heap-mb", static_cast<double>(args["max-heap-mb"].as<size_t>()), 0, 1 << 20);
    if (args["max-heap-mb"].as<size_t>() != 0 && args["max-heap-mb"].as<size_t>() < 16) {
      throw cxxopts::exceptions::exception("--max-heap-mb must be 0 or at least 16");
    }
    in_range("max-buffer-mb", static_cast<double>(args["max-buffer-mb"].as<size_t>()), 0, 1 << 22);
    in_range("poll-interval", args["poll-interval"].as<double>(), 0.01, 86400);
    in_range("rollback-window", args["rollback-window"].as<double>(), 0, 86400);
    in_range("skip-retry-seconds", args["skip-retry-seconds"].as<double>(), 0, 86400);
    in_range("rollback-window-batches", static_cast<double>(args["rollback-window-batches"].as<uint64_t>()), 0, 1e12);
    in_range("watch-timeout", args["watch-timeout"].as<double>(), 0.1, 3600);
    in_range("max-bundle-mb", static_cast<double>(args["max-bundle-mb"].as<size_t>()), 1, 4096);
    in_range("max-line-bytes", static_cast<double>(args["max-line-bytes"].as<size_t>()), 64, 1 << 30);
    reader_options.max_line_bytes = args["max-line-bytes"].as<size_t>();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tfjs-run: %s\n", e.what());
    return kUsage;
  }

  // Every input file is checked before the bundle loads: a typo fails at once.
  std::optional<tfjs_run::cli::InputFiles> inputs;
  try {
    inputs.emplace(args.count("inputs") ? args["inputs"].as<std::vector<std::string>>() : std::vector<std::string>{});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tfjs-run: error: %s\n", e.what());
    return kBadInput;
  }

  std::unique_ptr<tfjs_run::Runtime> runtime;
  double startup_ms = 0;
  try {
    tfjs_run::RuntimeOptions runtime_options;
    runtime_options.workers = args["threads"].as<size_t>();
    runtime_options.model.load_timeout = std::chrono::milliseconds(args["load-timeout-ms"].as<int64_t>());
    runtime_options.model.predict_timeout = std::chrono::milliseconds(args["predict-timeout-ms"].as<int64_t>());
    runtime_options.model.max_heap_mb = args["max-heap-mb"].as<size_t>();
    runtime_options.model.max_buffer_mb = args["max-buffer-mb"].as<size_t>();
    runtime_options.model.log = LogToStderr(log_level, args.count("bundle") ? args["bundle"].as<std::string>() : "");
    const std::string exec = args["model-exec"].as<std::string>();
    runtime_options.model.model_exec = exec == "native" ? tfjs_run::ModelExec::kNative
                                       : exec == "tfjs" ? tfjs_run::ModelExec::kTfjs : tfjs_run::ModelExec::kAuto;
    runtime_options.rollback_window =
        std::chrono::milliseconds(static_cast<int64_t>(args["rollback-window"].as<double>() * 1000));
    runtime_options.rollback_window_batches = args["rollback-window-batches"].as<uint64_t>();
    const size_t max_batch_rows = args["max-batch-rows"].as<size_t>();
    runtime_options.max_batch_rows = max_batch_rows ? max_batch_rows : batch_size;
    runtime_options.chunk_rows = std::max(batch_size, runtime_options.max_batch_rows);
    runtime_options.max_batch_delay = std::chrono::microseconds(std::max<int64_t>(0, args["max-batch-delay"].as<int64_t>()));
    runtime_options.max_queue_rows = std::max<size_t>(4 * batch_size, 65536);
    std::string cache = args["code-cache"].as<std::string>();
    runtime_options.code_cache_dir = cache == "none" ? std::string() : cache.empty() ? DefaultCodeCacheDir() : cache;
    tfjs_run::WatchOptions watch;
    if (args.count("watch")) {
      watch.source = args["watch"].as<std::string>();
      watch.poll_interval = std::chrono::milliseconds(static_cast<int64_t>(args["poll-interval"].as<double>() * 1000));
      watch.total_timeout = std::chrono::milliseconds(static_cast<int64_t>(args["watch-timeout"].as<double>() * 1000));
      watch.max_bundle_bytes = args["max-bundle-mb"].as<size_t>() << 20;
      watch.verify_tls = args.count("insecure") == 0;
      watch.log = LogToStderr(log_level, "watch " + watch.source);
    }
    tfjs_run::BundleSource source;
    std::string first_version;
    tfjs_run::ReloadCheck first_check;  // the manifest's sample and expected answers
    if (args.count("bundle")) {
      source = tfjs_run::BundleSource::FromFile(args["bundle"].as<std::string>());
    } else {
      tfjs_run::PublishedBundle published = tfjs_run::FetchPublishedBundle(watch);
      source = std::move(published.source);
      first_version = published.version;
      first_check = published.check();
    }
    const auto start = Clock::now();
    runtime = tfjs_run::Runtime::Start(source, runtime_options);
    startup_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!first_version.empty() && runtime->info().version != first_version) {
      // Served under the manifest's version name, so --with-version and the poller agree.
      runtime->Reload(source, first_version);
    }
    // No reload checked the first version: check it here, before it answers a row.
    if (!first_check.sample.empty()) runtime->Verify(first_check);
    if (args.count("watch")) runtime->Watch(watch);
  } catch (const std::exception& e) {
    PrintError(e);
    return kModelFailed;
  }
  if (args.count("info")) {
    std::printf("%s\n", BundleInfoJson(runtime->info()).c_str());
    return kOk;
  }

  tfjs_run::cli::PipelineOptions pipeline_options;
  pipeline_options.batch_size = batch_size;
  pipeline_options.on_error = on_error;
  pipeline_options.with_version = args.count("with-version") > 0;
  pipeline_options.retry_budget =
      std::chrono::milliseconds(static_cast<int64_t>(args["skip-retry-seconds"].as<double>() * 1000));
  pipeline_options.output_format = output_format;
  pipeline_options.stop_requested = [] { return g_stop_signal != 0; };
  pipeline_options.log_level = log_level;
  tfjs_run::cli::Pipeline pipeline(*runtime, pipeline_options);
  InstallStopSignals();
  // A reader that goes away (`| head`) is an output error like any other: exit 4 with the summary.
  std::signal(SIGPIPE, SIG_IGN);
  std::optional<StopReloadsOnSignal> stop_reloads;
  if (args.count("watch")) stop_reloads.emplace(*runtime);
  const bool quiet = args.count("quiet") > 0;
  int exit_code = kOk;
  PipelineResult result = PipelineResult::kOk;
  try {
    tfjs_run::cli::ProgressLine progress(pipeline, [&runtime] { return runtime->info().version; }, !quiet);
    result = pipeline.Run(*inputs, reader_options, stdout);
  } catch (const std::invalid_argument& e) {  // a --columns spec that cannot be read
    std::fprintf(stderr, "tfjs-run: %s\n", e.what());
    return kUsage;
  }
  switch (result) {
    case PipelineResult::kOk: break;
    case PipelineResult::kBadInput: exit_code = kBadInput; break;
    case PipelineResult::kModelFailed: exit_code = kModelFailed; break;
    case PipelineResult::kOutputFailed:
      std::fprintf(stderr, "tfjs-run: error: writing the output failed (%s); stopped reading input after %s\n",
                   std::strerror(pipeline.output_error()), inputs->Where(pipeline.last_line()).c_str());
      exit_code = kOutputFailed;
      break;
  }
  if (!inputs->error().empty() || pipeline.read_error() != 0) {
    // The input ended early: what was read before is answered; the rest is not read.
    if (!inputs->error().empty()) {
      std::fprintf(stderr, "tfjs-run: error: %s\n", inputs->error().c_str());
    } else {
      std::fprintf(stderr, "tfjs-run: error: reading the input failed after %s: %s\n",
                   inputs->Where(pipeline.last_line()).c_str(), std::strerror(pipeline.read_error()));
    }
    if (exit_code == kOk) exit_code = kBadInput;
  }
  const tfjs_run::cli::RowCounts counters = pipeline.counts();
  if (g_stop_signal != 0) {
    std::fprintf(stderr, "tfjs-run: %s: stopped reading input after %s; every row read is accounted for\n",
                 g_stop_signal == SIGINT ? "SIGINT" : "SIGTERM", inputs->Where(pipeline.last_line()).c_str());
  }
  const auto first_row_time = pipeline.first_row_time();
  const double predict_wall = std::chrono::duration<double>(Clock::now() - first_row_time).count();
  if (exit_code == kOk && counters.read == 0 && pipeline.last_line() > 0 && log_level <= tfjs_run::LogLevel::kWarn) {
    std::fprintf(stderr, "tfjs-run: warning: the input has no data rows (only a header or blank lines)\n");
  }
  if (exit_code != kOutputFailed && std::fflush(stdout) != 0) {
    std::fprintf(stderr, "tfjs-run: error: writing the output failed (%s)\n", std::strerror(errno));
    exit_code = kOutputFailed;
  }
  if (!quiet) {
    PrintSummary(counters, std::chrono::duration<double>(Clock::now() - wall_start).count(),
                 counters.read ? predict_wall : 0);
  }
  if (args.count("stats")) PrintStats(runtime->Stats(), runtime->info(), startup_ms);
  if (g_stop_signal != 0) exit_code = 128 + g_stop_signal;
  if (args.count("watch") && !quiet) {
    const tfjs_run::RuntimeStats s = runtime->Stats();
    std::string reasons;
    for (const auto& [reason, n] : s.watch.failures_by_reason) reasons += " " + reason + "=" + std::to_string(n);
    std::fprintf(stderr, "tfjs-run: watch: serving version %s; %llu polls, %llu unchanged, %llu downloads, "
                 "%llu failures%s; %llu reloads, %llu failed, %llu rolled back%s%s\n",
                 runtime->info().version.c_str(), static_cast<unsigned long long>(s.watch.polls),
                 static_cast<unsigned long long>(s.watch.unchanged), static_cast<unsigned long long>(s.watch.downloads),
                 static_cast<unsigned long long>(s.watch.failures), reasons.c_str(),
                 static_cast<unsigned long long>(s.reloads_ok), static_cast<unsigned long long>(s.reloads_failed),
                 static_cast<unsigned long long>(s.rollbacks), s.last_rollback.empty() ? "" : ": ",
                 s.last_rollback.c_str());
  }
  return exit_code;
}
