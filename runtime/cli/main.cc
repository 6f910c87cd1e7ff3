// tfjs-run: runs a tfjs bundle over rows read from stdin, writing one prediction per row.
//
//   tfjs-run ml.bundle.js < rows.csv > predictions.csv
//
// Exit codes: 0 every row predicted (or skipped / dropped with --on-error skip / drop); 1 usage;
// 2 bad input (a malformed row, or one of the wrong width) stopped the run; 3 the bundle failed to
// load or predict; 4 writing the output failed.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <cxxopts.hpp>
#include <nlohmann/json.hpp>

#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

namespace {

using tfjs_run::DenseMatrix;
using tfjs_run::DenseMatrixView;
using tfjs_run::cli::RowError;
using tfjs_run::cli::RowReader;
using Clock = std::chrono::steady_clock;

enum ExitCode { kOk = 0, kUsage = 1, kBadInput = 2, kModelFailed = 3, kOutputFailed = 4 };

// --on-error: stop; or report and write a NaN line in the row's place, so output line N still
// answers input row N; or report and write nothing for it.
enum class OnError { kFail, kSkip, kDrop };

struct Counters {
  uint64_t read = 0, predicted = 0, rejected = 0;
  uint64_t unprocessed = 0;  // read, but in flight behind a fatal error: neither written nor rejected
};

// SIGINT / SIGTERM: stop reading input, answer (or reject) every row already read, flush, print
// the summary, and exit 128 + the signal. The handler makes stdin /dev/null, so the reader sees
// end of input wherever it is (even blocked in read(2)); a second signal kills at once.
volatile std::sig_atomic_t g_stop_signal = 0;

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

std::string LineRange(const std::vector<uint64_t>& lines) {
  if (lines.size() == 1) return "line " + std::to_string(lines.front());
  return "lines " + std::to_string(lines.front()) + "-" + std::to_string(lines.back());
}

// Groups rows into batches and submits them to the runtime, keeping several in flight so
// parsing overlaps prediction; writes results strictly in input order.
class BatchRunner {
 public:
  BatchRunner(tfjs_run::Runtime& runtime, tfjs_run::cli::RowWriter& writer, Counters& counters, size_t batch_size,
              OnError on_error, bool with_version, std::chrono::milliseconds retry_budget)
      : runtime_(runtime), writer_(writer), counters_(counters), batch_size_(batch_size),
        skip_errors_(on_error != OnError::kFail), keep_places_(on_error == OnError::kSkip),
        with_version_(with_version), retry_budget_(retry_budget), max_in_flight_(2 * runtime.workers() + 2) {
    const int64_t cols = runtime.info().output_cols;
    if (cols > 0) nan_row_.assign(static_cast<size_t>(cols), std::numeric_limits<float>::quiet_NaN());
  }

  // A row rejected before prediction (malformed, wrong width), reported by the caller: with
  // --on-error skip it still gets its line in the output, in its place.
  bool AddRejected() {
    if (!keep_places_) return true;
    const bool ok = Submit();  // the rows before it go first
    Batch hole;
    hole.rejected = true;
    in_flight_.push_back(std::move(hole));
    return ok;
  }

  // Returns false once a prediction failed and errors are not skipped.
  bool Add(const std::vector<float>& row, uint64_t line) {
    if (cols_ == 0) cols_ = row.size();
    values_.insert(values_.end(), row.begin(), row.end());
    lines_.push_back(line);
    return lines_.size() < batch_size_ || Submit();
  }

  // Submits the partial batch and waits for everything in flight.
  bool Finish() {
    bool ok = Submit();
    while (!in_flight_.empty()) ok = WriteFront() && ok;
    return ok && !failed_;
  }

 private:
  struct Batch {
    bool rejected = false;  // a rejected row's place (AddRejected): written as a NaN line
    std::future<tfjs_run::Prediction> result;
    std::vector<float> values;  // kept to retry row by row with --on-error skip
    std::vector<uint64_t> lines;
  };

  bool Submit() {
    if (!lines_.empty() && !failed_) {
      Batch b;
      b.values = std::move(values_);
      b.lines = std::move(lines_);
      try {
        b.result = runtime_.SubmitVersioned(DenseMatrixView(b.values.data(), b.lines.size(), cols_));
      } catch (const tfjs_run::Error&) {  // refused before queueing (shape): handled in order below
        std::promise<tfjs_run::Prediction> refused;
        refused.set_exception(std::current_exception());
        b.result = refused.get_future();
      }
      in_flight_.push_back(std::move(b));
    }
    if (failed_) counters_.unprocessed += lines_.size();
    values_.clear();
    lines_.clear();
    bool ok = true;
    while (!in_flight_.empty() &&
           (in_flight_.size() > max_in_flight_ || in_flight_.front().rejected ||
            in_flight_.front().result.wait_for(std::chrono::seconds(0)) == std::future_status::ready)) {
      ok = WriteFront() && ok;
    }
    return ok && !failed_;
  }

  bool WriteFront() {
    Batch b = std::move(in_flight_.front());
    in_flight_.pop_front();
    if (b.rejected) {
      WritePlaceholder();
      return true;
    }
    if (failed_) {  // after a fatal error nothing more is written; count what is dropped
      try { b.result.get(); } catch (...) {}
      counters_.unprocessed += b.lines.size();
      return false;
    }
    try {
      tfjs_run::Prediction out = b.result.get();
      Emit(out);
      return true;
    } catch (const tfjs_run::Error& e) {
      if (!skip_errors_) {
        std::fprintf(stderr, "tfjs-run: error: %s: %s\n", LineRange(b.lines).c_str(), e.what());
        if (!e.js_stack().empty()) std::fprintf(stderr, "%s\n", e.js_stack().c_str());
        counters_.rejected += b.lines.size();
        failed_ = true;
        return false;
      }
      // Find the rows that fail by bisection: halves that succeed are answered at once, so k bad
      // rows among n cost about 2k·log2(n) calls, not n. Bounded in time: past the budget, rows not
      // yet answered are rejected, each by its line.
      const auto budget_end = Clock::now() + retry_budget_;
      Bisect(b, 0, b.lines.size(), e, budget_end);
      return true;
    }
  }

  // Answers rows [from, to) of a failed batch (`error` is what the whole range failed with).
  void Bisect(const Batch& b, size_t from, size_t to, const tfjs_run::Error& error, Clock::time_point budget_end) {
    if (to - from == 1) {
      Reject(b.lines[from], error.what());
      return;
    }
    const size_t mid = from + (to - from) / 2;
    for (auto [lo, hi] : {std::pair{from, mid}, std::pair{mid, to}}) {
      if (Clock::now() >= budget_end) {
        for (size_t r = lo; r < hi; ++r) {
          Reject(b.lines[r], "not retried: the --skip-retry-seconds budget for its batch ran out (the batch failed "
                             "with: " + std::string(error.what()) + ")");
        }
        continue;
      }
      try {
        Emit(runtime_.PredictVersioned(DenseMatrixView(b.values.data() + lo * cols_, hi - lo, cols_)));
      } catch (const tfjs_run::Error& half_error) {
        Bisect(b, lo, hi, half_error, budget_end);
      }
    }
  }

  void Reject(uint64_t line, const std::string& why) {
    std::fprintf(stderr, "tfjs-run: %s line %llu: %s\n", keep_places_ ? "skipped" : "dropped",
                 static_cast<unsigned long long>(line), why.c_str());
    ++counters_.rejected;
    WritePlaceholder();  // bisection answers rows in order, so this is the row's place
  }

  // A NaN line as wide as the bundle's output (an empty line if that is not known yet).
  void WritePlaceholder() {
    if (!keep_places_) return;
    static const std::string kNoVersion;
    writer_.Write(nan_row_.data(), nan_row_.size(), with_version_ ? &kNoVersion : nullptr);
  }

  void Emit(const tfjs_run::Prediction& p) {
    if (nan_row_.size() != p.output.cols()) nan_row_.assign(p.output.cols(), std::numeric_limits<float>::quiet_NaN());
    const std::string* version = with_version_ ? &p.bundle_version : nullptr;
    for (size_t r = 0; r < p.output.rows(); ++r) writer_.Write(p.output.row(r).data(), p.output.cols(), version);
    counters_.predicted += p.output.rows();
  }

  tfjs_run::Runtime& runtime_;
  tfjs_run::cli::RowWriter& writer_;
  Counters& counters_;
  size_t batch_size_;
  bool skip_errors_;
  bool keep_places_;
  std::vector<float> nan_row_;
  bool with_version_;
  std::chrono::milliseconds retry_budget_;
  size_t max_in_flight_;
  bool failed_ = false;
  size_t cols_ = 0;
  std::vector<float> values_;
  std::vector<uint64_t> lines_;
  std::deque<Batch> in_flight_;
};

// Three significant figures at least: "238234", "512", "0.512", never "1" for 0.512.
std::string Rate(double rate) {
  char text[32];
  std::snprintf(text, sizeof text, rate >= 100 ? "%.0f" : "%.3g", rate);
  return text;
}

void PrintSummary(const Counters& c, double wall_seconds, double predict_wall_seconds) {
  double rate = predict_wall_seconds > 0 ? static_cast<double>(c.predicted) / predict_wall_seconds : 0;
  std::string unprocessed =
      c.unprocessed ? ", not processed after the error " + std::to_string(c.unprocessed) : std::string();
  std::fprintf(stderr,
               "tfjs-run: summary: rows read %llu, predicted %llu, rejected %llu%s; "
               "%s rows/s (%.3f s from first row to last result), %.3f s wall\n",
               static_cast<unsigned long long>(c.read), static_cast<unsigned long long>(c.predicted),
               static_cast<unsigned long long>(c.rejected), unprocessed.c_str(), Rate(rate).c_str(), predict_wall_seconds,
               wall_seconds);
}

void PrintStats(const tfjs_run::RuntimeStats& s, double startup_ms) {
  // The fixed cost of a run, before the first row: every isolate loaded (worker 0 first; if it
  // had no code cache it warms up once and makes one, and the others load from it in parallel).
  double warmup_ms = 0;
  for (const auto& w : s.workers) warmup_ms += w.warmup_ms;
  std::fprintf(stderr, "tfjs-run: stats: start-up %.0f ms: %zu isolate(s) loaded (load ms per worker below), "
               "code-cache warm-up %.0f ms\n", startup_ms, s.workers.size(), warmup_ms);
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
  };
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

}  // namespace

int main(int argc, char** argv) {
  const auto wall_start = Clock::now();
  cxxopts::Options options("tfjs-run",
                           "Runs a tfjs model bundle (ml.bundle.js) over rows from stdin and writes one prediction\n"
                           "row per input row to stdout, in input order. A summary goes to stderr.\n\n"
                           "  tfjs-run ml.bundle.js < rows.csv > predictions.csv\n"
                           "  tfjs-run ml.bundle.js --columns 1-13 --batch-size 64 < wine.csv\n\n"
                           "Exit codes: 0 ok; 1 usage; 2 bad input row; 3 bundle load/predict failure; 4 output error.\n");
  options.positional_help("BUNDLE").show_positional_help();
  // clang-format off
  options.add_options("Input")
    ("input-format", "Input format: csv or jsonl (one JSON array of numbers, or object, per line)",
        cxxopts::value<std::string>()->default_value("csv"))
    ("header", "The first CSV line is a header (default: detected: a header if any field is not a number)")
    ("no-header", "The first CSV line is data")
    ("d,delimiter", "CSV field delimiter, one character (\\t for tab)", cxxopts::value<std::string>()->default_value(","))
    ("c,columns", "Feature columns: 0-based indices, inclusive ranges and/or header names, comma-separated, "
        "e.g. 1-13 or 'alcohol,ash'. Default: all columns", cxxopts::value<std::string>()->default_value(""))
    ("max-line-bytes", "A longer input line is a bad row", cxxopts::value<size_t>()->default_value("16777216"));
  options.add_options("Output")
    ("output-format", "Output format: csv or jsonl", cxxopts::value<std::string>()->default_value("csv"))
    ("q,quiet", "No summary on stderr")
    ("with-version", "Append the bundle version that computed each row (a last CSV column, or "
        "{\"prediction\": [...], \"version\": ...} in JSON lines)")
    ("stats", "Print per-worker stats on stderr at the end: requests, rows, batches, mean batch size, queue depth, "
        "latency percentiles, load time, code-cache hit")
    ("info", "Load the bundle, print what it declares as JSON, and exit");
  options.add_options("Model")
    ("b,batch-size", "Rows per predict call", cxxopts::value<size_t>()->default_value("64"))
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
    ("load-timeout-ms", "Deadline for the bundle's load", cxxopts::value<int64_t>()->default_value("60000"))
    ("predict-timeout-ms", "Deadline for each predict call; past it the call is terminated, its rows fail "
     "with a timeout error, and the worker's isolate is replaced", cxxopts::value<int64_t>()->default_value("60000"))
    ("max-heap-mb", "Each isolate's JS heap limit, MiB (0: V8's default). JS past it is terminated, its rows "
     "fail with a memory error, and the isolate is replaced", cxxopts::value<size_t>()->default_value("1024"))
    ("max-buffer-mb", "Each isolate's budget for ArrayBuffers and WebAssembly memory, MiB (0: no limit); "
     "enforced like --max-heap-mb", cxxopts::value<size_t>()->default_value("2048"));
  options.add_options("Hot reload")
    ("watch", "Follow a published layout (a directory, file:// or http(s):// URL holding manifest.json, see "
        "docs/publishing.md) and switch to each new version without losing a row. Without BUNDLE, the first "
        "version comes from there too", cxxopts::value<std::string>())
    ("poll-interval", "Seconds between polls of --watch", cxxopts::value<double>()->default_value("5"))
    ("watch-timeout", "Seconds a manifest or bundle download may take", cxxopts::value<double>()->default_value("30"))
    ("max-bundle-mb", "Largest bundle --watch downloads, MiB", cxxopts::value<size_t>()->default_value("256"))
    ("rollback-window", "Seconds after a switch that each worker keeps the previous version: a request the new "
     "version fails and the previous answers rolls back to it and marks the new one bad (0: no time limit)",
     cxxopts::value<double>()->default_value("60"))
    ("rollback-window-batches", "Batches on the new version (over all workers) after which the rollback window "
     "closes, whichever comes first (0: no batch limit; both 0: no window)",
     cxxopts::value<uint64_t>()->default_value("10000"))
    ("insecure", "Do not verify TLS certificates of --watch (default: verify)");
  options.add_options()
    ("bundle", "The bundle (ml.bundle.js)", cxxopts::value<std::string>())
    ("h,help", "Print this help");
  // clang-format on
  options.parse_positional({"bundle"});

  cxxopts::ParseResult args;
  tfjs_run::cli::RowReaderOptions reader_options;
  tfjs_run::cli::OutputFormat output_format = tfjs_run::cli::OutputFormat::kCsv;
  size_t batch_size = 64;
  OnError on_error = OnError::kFail;
  try {
    args = options.parse(argc, argv);
    if (args.count("help")) {
      std::cout << options.help({"", "Input", "Output", "Model", "Hot reload"}) << std::endl;
      return kOk;
    }
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
    batch_size = args["batch-size"].as<size_t>();
    if (batch_size == 0) throw cxxopts::exceptions::exception("--batch-size must be at least 1");
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

  std::unique_ptr<tfjs_run::Runtime> runtime;
  double startup_ms = 0;
  try {
    tfjs_run::RuntimeOptions runtime_options;
    runtime_options.workers = args["threads"].as<size_t>();
    runtime_options.model.load_timeout = std::chrono::milliseconds(args["load-timeout-ms"].as<int64_t>());
    runtime_options.model.predict_timeout = std::chrono::milliseconds(args["predict-timeout-ms"].as<int64_t>());
    runtime_options.model.max_heap_mb = args["max-heap-mb"].as<size_t>();
    runtime_options.model.max_buffer_mb = args["max-buffer-mb"].as<size_t>();
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
    }
    tfjs_run::BundleSource source;
    std::string first_version;
    std::vector<float> sample;
    if (args.count("bundle")) {
      source = tfjs_run::BundleSource::FromFile(args["bundle"].as<std::string>());
    } else {
      tfjs_run::PublishedBundle published = tfjs_run::FetchPublishedBundle(watch);
      source = std::move(published.source);
      first_version = published.version;
    }
    const auto start = Clock::now();
    runtime = tfjs_run::Runtime::Start(source, runtime_options);
    startup_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!first_version.empty() && runtime->info().version != first_version) {
      // Served under the manifest's version name, so --with-version and the poller agree.
      runtime->Reload(source, first_version);
    }
    if (args.count("watch")) runtime->Watch(watch);
  } catch (const std::exception& e) {
    PrintError(e);
    return kModelFailed;
  }
  if (args.count("info")) {
    std::printf("%s\n", BundleInfoJson(runtime->info()).c_str());
    return kOk;
  }

  std::unique_ptr<RowReader> reader;
  std::function<void()> on_idle;  // set once the runner and writer exist
  reader_options.before_blocking_read = [&on_idle] {
    if (on_idle) on_idle();
  };
  try {
    reader = std::make_unique<RowReader>(stdin, reader_options);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tfjs-run: %s\n", e.what());
    return kUsage;
  }
  tfjs_run::cli::RowWriter writer(stdout, output_format);
  InstallStopSignals();
  Counters counters;
  BatchRunner runner(*runtime, writer, counters, batch_size, on_error, args.count("with-version") > 0,
                     std::chrono::milliseconds(static_cast<int64_t>(args["skip-retry-seconds"].as<double>() * 1000)));
  // Rows that trickle in on a pipe are answered now, not when a batch fills: when the input has
  // nothing more to read yet, predict what was read and flush (a failure surfaces at the next row).
  on_idle = [&] {
    runner.Finish();
    writer.Flush();
  };
  const bool quiet = args.count("quiet") > 0;
  const int64_t input_cols = runtime->info().input_cols;  // -1: not declared (legacy bundles)
  int exit_code = kOk;
  std::vector<float> row;
  RowError error;
  auto first_row_time = Clock::now();
  for (;;) {
    RowReader::Status status = reader->Next(row, error);
    if (status == RowReader::Status::kEnd) break;
    if (counters.read++ == 0) first_row_time = Clock::now();
    if (counters.read == 1 && reader->header_guessed()) {
      std::fprintf(stderr, "tfjs-run: line 1 was taken as a header (no field of it is a number; --no-header reads it "
                           "as data)\n");
    }
    if (status == RowReader::Status::kRow && input_cols >= 0 && row.size() != static_cast<size_t>(input_cols)) {
      // The bundle cannot take it: bad input like a malformed row, with its line (not a
      // prediction failure of the whole batch it would have joined).
      status = RowReader::Status::kBadRow;
      error = RowError{reader->line(), 0, "the row has " + std::to_string(row.size()) + " fields; the bundle '" +
                                              runtime->info().name + "' takes " + std::to_string(input_cols)};
    }
    if (status == RowReader::Status::kBadRow) {
      ++counters.rejected;
      if (on_error != OnError::kFail) {
        std::fprintf(stderr, "tfjs-run: %s %s\n", on_error == OnError::kSkip ? "skipped" : "dropped",
                     error.ToString().c_str());
        if (!runner.AddRejected()) {
          exit_code = kModelFailed;
          break;
        }
        continue;
      }
      // Rows before the bad one still get their predictions.
      if (!runner.Finish()) exit_code = kModelFailed;
      std::fprintf(stderr, "tfjs-run: error: %s\n", error.ToString().c_str());
      if (exit_code == kOk) exit_code = kBadInput;
      break;
    }
    if (!runner.Add(row, reader->line())) {
      exit_code = kModelFailed;
      break;
    }
  }
  if (!runner.Finish() && exit_code == kOk) exit_code = kModelFailed;
  if (g_stop_signal != 0) {
    std::fprintf(stderr, "tfjs-run: %s: stopped reading input after line %llu; every row read is accounted for\n",
                 g_stop_signal == SIGINT ? "SIGINT" : "SIGTERM", static_cast<unsigned long long>(reader->line()));
  }
  const double predict_wall = std::chrono::duration<double>(Clock::now() - first_row_time).count();
  if (exit_code == kOk && counters.read == 0) {
    std::fprintf(stderr, "tfjs-run: error: the input has no data rows%s\n",
                 reader->line() == 0 ? " (it is empty)" : " (only a header or blank lines)");
    exit_code = kBadInput;
  }
  if (!writer.Flush()) {
    std::fprintf(stderr, "tfjs-run: error: writing the output failed\n");
    exit_code = kOutputFailed;
  }
  if (!quiet) {
    PrintSummary(counters, std::chrono::duration<double>(Clock::now() - wall_start).count(),
                 counters.read ? predict_wall : 0);
  }
  if (args.count("stats")) PrintStats(runtime->Stats(), startup_ms);
  if (g_stop_signal != 0) exit_code = 128 + g_stop_signal;
  if (args.count("watch")) {
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
