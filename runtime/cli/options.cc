#include "options.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <cxxopts.hpp>

#include "messages.h"

namespace tfjs_run::cli {

namespace {

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

std::string DefaultCodeCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/tfjs-run";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/tfjs-run";
  return {};
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

cxxopts::Options DeclareOptions() {
  const RuntimeOptions runtime_defaults;
  const WatchOptions watch_defaults;
  cxxopts::Options options("tfjs-run",
                           "Runs a tfjs model bundle (ml.bundle.js) over rows from the FILEs, read in order like cat\n"
                           "('-' or none: stdin), and writes one prediction row per input row to stdout, in input\n"
                           "order (a blank line for a blank line). A summary goes to stderr.\n\n"
                           "  tfjs-run ml.bundle.js < rows.csv > predictions.csv\n"
                           "  tfjs-run ml.bundle.js part1.csv part2.csv > predictions.csv\n"
                           "  tfjs-run ml.bundle.js --columns 1-13 --batch-size 64 < wine.csv\n"
                           "  tfjs-run --model wine=wine.bundle.js --model iris=iris.bundle.js --model-column 0 < rows.csv\n"
                           "  tfjs-run --watch https://models.example/base --model-column model < rows.jsonl\n\n"
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
    ("metrics-file", "At the end, write the model's metrics there in the Prometheus text format (requests, "
     "errors, durations, rows, batches, reloads, memory; for a node exporter's textfile collector)",
     cxxopts::value<std::string>())
    ("stats", "Print per-worker stats on stderr at the end: requests, rows, batches, mean batch size, queue depth, "
        "latency percentiles, load time, code-cache hit")
    ("info", "Load the bundle, print what it declares as JSON, and exit");
  options.add_options("Model")
    ("b,batch-size", "Rows per predict call", cxxopts::value<size_t>()->default_value(Default(runtime_defaults.max_batch_rows)))
    ("t,threads", "Worker threads, one V8 isolate each (0: one per core this process may use; they are then pinned one per core; "
                  "with several --model, each model's share of the cores, at least one)",
        cxxopts::value<size_t>()->default_value("0"))
    ("max-batch-rows", "Most rows a worker puts in one predict call by joining queued batches (default: --batch-size)",
        cxxopts::value<size_t>()->default_value("0"))
    ("max-batch-delay", "Microseconds a worker waits for more rows before predicting a partial batch",
        cxxopts::value<int64_t>()->default_value("0"))
    ("spin-us", "Latency mode: microseconds an idle worker polls for the next batch, and a caller for its answer, "
     "before sleeping (0: off). Saves the thread wake-ups that dominate a small batch's latency, at the cost of "
     "up to this much CPU per idle gap on each worker; for cores that are the run's own",
     cxxopts::value<int64_t>()->default_value(Default(runtime_defaults.spin.count())))
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
  options.add_options("Several models")
    ("model", "NAME=SOURCE: serve a model by that name from a bundle file or a published layout (followed; "
     "docs/publishing.md). Repeatable; the positional arguments are then all input FILEs",
     cxxopts::value<std::vector<std::string>>())
    ("model-config", "A JSON file of models: {\"models\": [{\"name\", \"source\", \"version_policy\": \"latest\" or "
     "{\"specific\": \"VERSION\"}, \"workers\", \"max_batch_rows\", \"max_queue_rows\"}]} (docs/publishing.md)",
     cxxopts::value<std::string>())
    ("model-column", "The CSV column (0-based index or header name) or JSON-lines field naming each row's model; "
     "the other columns are its features, unless --columns picks them. Output stays in input order; a row naming "
     "a model not served is a bad row. With --watch BASE and no --model, BASE is a multi-model layout "
     "(BASE/models.json) whose models are added and removed as it changes", cxxopts::value<std::string>())
    ("model-threads", "With several models: per-model (each model has workers of its own, max(1, cores / models) "
     "of them under --threads 0), shared (one serving thread per core, or --threads of them, each serving every "
     "model's queue in turn), or auto: shared when more models are given at start than there are serving threads, "
     "else per-model (docs/models.md)", cxxopts::value<std::string>()->default_value("auto"));
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
  return options;
}

// The range of a number the CLI alone uses, or of a runtime option in the flag's own unit.
struct FlagRange {
  double lo, hi;
  bool or_zero = false;
};
// A runtime option's range (tfjs_run/option_range.h, beside its default in the struct), for a flag
// that counts `per` of the struct's units in one of its own (seconds for milliseconds: 1000).
// Integer flags round inward, so the message shows whole numbers.
FlagRange InFlagUnits(tfjs_run::OptionRange r, double per = 1, bool integer = true) {
  double lo = static_cast<double>(r.min) / per, hi = static_cast<double>(r.max) / per;
  if (integer) {
    lo = std::ceil(lo);
    hi = std::floor(hi);
  }
  return {lo, hi, r.or_zero};
}

template <typename T>
void CheckFlag(const cxxopts::ParseResult& args, const std::string& name, FlagRange r) {
  const double value = static_cast<double>(args[name].as<T>());
  if ((value >= r.lo && value <= r.hi) || (r.or_zero && value == 0)) return;
  char text[200];
  std::snprintf(text, sizeof(text), "--%s must be %sin [%.15g, %.15g], got %.15g", name.c_str(), r.or_zero ? "0 or " : "",
                r.lo, r.hi, value);
  throw cxxopts::exceptions::exception(text);
}

// Every number within what the runtime accepts (the option structs' ranges) and the machine can
// do, so none ends in bad_alloc or a V8 fatal error.
void CheckRanges(const cxxopts::ParseResult& args) {
  using tfjs_run::ModelOptions;
  using tfjs_run::RuntimeOptions;
  using tfjs_run::WatchOptions;
  CheckFlag<size_t>(args, "batch-size", {1, 1 << 20});
  CheckFlag<size_t>(args, "threads", InFlagUnits(RuntimeOptions::kWorkers));
  FlagRange batch_rows = InFlagUnits(RuntimeOptions::kMaxBatchRows);
  batch_rows.or_zero = true;  // 0: --batch-size
  CheckFlag<size_t>(args, "max-batch-rows", batch_rows);
  CheckFlag<int64_t>(args, "max-batch-delay", InFlagUnits(RuntimeOptions::kMaxBatchDelayUs));
  CheckFlag<int64_t>(args, "spin-us", InFlagUnits(RuntimeOptions::kSpinUs));
  CheckFlag<size_t>(args, "max-heap-mb", InFlagUnits(ModelOptions::kMaxHeapMb));
  CheckFlag<size_t>(args, "max-buffer-mb", InFlagUnits(ModelOptions::kMaxBufferMb));
  CheckFlag<int64_t>(args, "load-timeout-ms", InFlagUnits(ModelOptions::kLoadTimeoutMs));
  CheckFlag<int64_t>(args, "predict-timeout-ms", InFlagUnits(ModelOptions::kPredictTimeoutMs));
  CheckFlag<double>(args, "poll-interval", InFlagUnits(WatchOptions::kPollIntervalMs, 1000, false));
  CheckFlag<double>(args, "rollback-window", InFlagUnits(RuntimeOptions::kRollbackWindowMs, 1000, false));
  CheckFlag<double>(args, "skip-retry-seconds", {0, 86400});
  CheckFlag<uint64_t>(args, "rollback-window-batches", InFlagUnits(RuntimeOptions::kRollbackWindowBatches));
  CheckFlag<double>(args, "watch-timeout", InFlagUnits(WatchOptions::kTotalTimeoutMs, 1000, false));
  CheckFlag<size_t>(args, "max-bundle-mb", InFlagUnits(WatchOptions::kMaxBundleBytes, 1 << 20));
  CheckFlag<size_t>(args, "max-line-bytes", {64, 1 << 30});
}

// The options that pick one of a few words, and the input's; checked in the order --help lists them.
CliOptions ReadChoices(const cxxopts::ParseResult& args) {
  CliOptions o;
  const std::string level = args["log-level"].as<std::string>();
  if (level == "debug") o.log_level = LogLevel::kDebug;
  else if (level == "warn") o.log_level = LogLevel::kWarn;
  else if (level == "error") o.log_level = LogLevel::kError;
  else if (level != "info") throw cxxopts::exceptions::exception("--log-level must be debug, info, warn or error");
  if (args.count("quiet")) o.log_level = LogLevel::kError;
  if (!args.count("bundle") && !args.count("watch") && !args.count("model") && !args.count("model-config")) {
    throw cxxopts::exceptions::exception("missing BUNDLE (or --watch, --model, --model-config; see --help)");
  }
  std::string in_fmt = args["input-format"].as<std::string>();
  if (in_fmt == "jsonl") o.reader.format = InputFormat::kJsonLines;
  else if (in_fmt != "csv") throw cxxopts::exceptions::exception("--input-format must be csv or jsonl");
  std::string out_fmt = args["output-format"].as<std::string>();
  if (out_fmt == "jsonl") o.pipeline.output_format = OutputFormat::kJsonLines;
  else if (out_fmt != "csv") throw cxxopts::exceptions::exception("--output-format must be csv or jsonl");
  if (args.count("header") && args.count("no-header")) throw cxxopts::exceptions::exception("--header and --no-header conflict");
  if (args.count("header")) o.reader.header = HeaderMode::kYes;
  if (args.count("no-header")) o.reader.header = HeaderMode::kNo;
  std::string delim = args["delimiter"].as<std::string>();
  if (delim == "\\t") delim = "\t";
  if (delim.size() != 1) throw cxxopts::exceptions::exception("--delimiter must be one character");
  o.reader.delimiter = delim[0];
  o.reader.columns = args["columns"].as<std::string>();
  o.reader.allow_nonfinite = args.count("allow-nonfinite") > 0;
  const std::string exec = args["model-exec"].as<std::string>();
  if (exec != "auto" && exec != "native" && exec != "tfjs") {
    throw cxxopts::exceptions::exception("--model-exec must be auto, native or tfjs");
  }
  o.runtime.model.model_exec = exec == "native" ? ModelExec::kNative : exec == "tfjs" ? ModelExec::kTfjs : ModelExec::kAuto;
  std::string on_error = args["on-error"].as<std::string>();
  if (on_error != "fail" && on_error != "skip" && on_error != "drop") {
    throw cxxopts::exceptions::exception("--on-error must be fail, skip or drop");
  }
  o.pipeline.on_error = on_error == "skip" ? OnError::kSkip : on_error == "drop" ? OnError::kDrop : OnError::kFail;
  return o;
}

// The runtime's options, after ReadChoices set the model's executor.
void ReadRuntimeOptions(const cxxopts::ParseResult& args, CliOptions& o) {
  RuntimeOptions& r = o.runtime;
  const size_t batch_size = args["batch-size"].as<size_t>();
  r.workers = args["threads"].as<size_t>();
  r.model.load_timeout = std::chrono::milliseconds(args["load-timeout-ms"].as<int64_t>());
  r.model.predict_timeout = std::chrono::milliseconds(args["predict-timeout-ms"].as<int64_t>());
  r.model.max_heap_mb = args["max-heap-mb"].as<size_t>();
  r.model.max_buffer_mb = args["max-buffer-mb"].as<size_t>();
  r.model.log = LogToStderr(o.log_level, o.bundle);
  r.rollback_window = std::chrono::milliseconds(static_cast<int64_t>(args["rollback-window"].as<double>() * 1000));
  r.rollback_window_batches = args["rollback-window-batches"].as<uint64_t>();
  const size_t max_batch_rows = args["max-batch-rows"].as<size_t>();
  r.max_batch_rows = max_batch_rows ? max_batch_rows : batch_size;
  r.chunk_rows = std::max(batch_size, r.max_batch_rows);
  r.max_batch_delay = std::chrono::microseconds(std::max<int64_t>(0, args["max-batch-delay"].as<int64_t>()));
  r.spin = std::chrono::microseconds(args["spin-us"].as<int64_t>());
  r.max_queue_rows = std::max<size_t>(4 * batch_size, 65536);
  std::string cache = args["code-cache"].as<std::string>();
  r.code_cache_dir = cache == "none" ? std::string() : cache.empty() ? DefaultCodeCacheDir() : cache;
}

WatchOptions ReadWatchOptions(const cxxopts::ParseResult& args, LogLevel log_level) {
  WatchOptions watch;
  watch.source = args["watch"].as<std::string>();
  watch.poll_interval = std::chrono::milliseconds(static_cast<int64_t>(args["poll-interval"].as<double>() * 1000));
  watch.total_timeout = std::chrono::milliseconds(static_cast<int64_t>(args["watch-timeout"].as<double>() * 1000));
  watch.max_bundle_bytes = args["max-bundle-mb"].as<size_t>() << 20;
  watch.verify_tls = args.count("insecure") == 0;
  watch.log = LogToStderr(log_level, "watch " + watch.source);
  return watch;
}

// --model, --model-config and --model-column. With several models, BUNDLE is the first input.
void ReadModels(const cxxopts::ParseResult& args, CliOptions& o) {
  using cxxopts::exceptions::exception;
  if (args.count("model-column")) {
    o.model_column = args["model-column"].as<std::string>();
    if (o.model_column.empty()) throw exception("--model-column must name a column or field");
  }
  if (args.count("model")) {
    for (const std::string& spec : args["model"].as<std::vector<std::string>>()) {
      const size_t eq = spec.find('=');
      ModelConfigEntry e;
      e.name = spec.substr(0, eq == std::string::npos ? 0 : eq);
      e.source = eq == std::string::npos ? std::string() : spec.substr(eq + 1);
      if (e.name.empty() || e.source.empty()) throw exception("--model must be NAME=SOURCE, got '" + spec + "'");
      o.models.push_back(std::move(e));
    }
  }
  const std::string threads = args["model-threads"].as<std::string>();
  if (threads != "auto" && threads != "per-model" && threads != "shared") {
    throw exception("--model-threads must be auto, per-model or shared, got '" + threads + "'");
  }
  o.model_threads = threads == "shared"      ? CliOptions::ModelThreads::kShared
                    : threads == "per-model" ? CliOptions::ModelThreads::kPerModel
                                             : CliOptions::ModelThreads::kAuto;
  if (args.count("model-config")) {
    try {
      for (auto& e : ReadModelConfig(args["model-config"].as<std::string>()).models) o.models.push_back(std::move(e));
    } catch (const ModelConfigError& e) {
      throw exception(std::string("--model-config ") + e.what());
    }
  }
  for (size_t i = 0; i < o.models.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (o.models[i].name == o.models[j].name) throw exception("the model '" + o.models[i].name + "' is given twice");
    }
  }
  if (!o.several_models()) return;
  if (o.models.size() > 1 && o.model_column.empty()) {
    throw exception("several models need --model-column, which names each row's model");
  }
  if (o.watch && !o.models.empty()) {
    throw exception("--watch with --model or --model-config: give each model its source in --model instead");
  }
  if (o.info) throw exception("--info takes one BUNDLE, not --model");
  if (!o.bundle.empty()) o.inputs.insert(o.inputs.begin(), o.bundle);
  o.bundle.clear();
}

}  // namespace

std::optional<CliOptions> ParseCommandLine(int argc, char** argv) {
  cxxopts::Options options = DeclareOptions();
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::incorrect_argument_type& e) {
    throw cxxopts::exceptions::exception(NameTheOption(e.what(), argc, argv));
  }
  if (args.count("help")) {
    std::cout << options.help({"", "Input", "Output", "Model", "Several models", "Hot reload"}) << std::endl;
    return std::nullopt;
  }
  if (args.count("version")) {
    std::printf("tfjs-run %s (V8 %s)\n", RuntimeVersion().c_str(), V8Version().c_str());
    return std::nullopt;
  }
  CliOptions o = ReadChoices(args);
  CheckRanges(args);
  if (args.count("bundle")) o.bundle = args["bundle"].as<std::string>();
  if (args.count("inputs")) o.inputs = args["inputs"].as<std::vector<std::string>>();
  o.info = args.count("info") > 0;
  o.stats = args.count("stats") > 0;
  if (args.count("metrics-file")) o.metrics_file = args["metrics-file"].as<std::string>();
  o.quiet = args.count("quiet") > 0;
  o.reader.max_line_bytes = args["max-line-bytes"].as<size_t>();
  o.pipeline.batch_size = args["batch-size"].as<size_t>();
  o.pipeline.with_version = args.count("with-version") > 0;
  o.pipeline.retry_budget = std::chrono::milliseconds(static_cast<int64_t>(args["skip-retry-seconds"].as<double>() * 1000));
  o.pipeline.log_level = o.log_level;
  ReadRuntimeOptions(args, o);
  if (args.count("watch")) o.watch = ReadWatchOptions(args, o.log_level);
  ReadModels(args, o);
  return o;
}

}  // namespace tfjs_run::cli
