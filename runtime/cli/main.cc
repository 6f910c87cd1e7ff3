// tfjs-run: runs a tfjs bundle over rows read from stdin, writing one prediction per row.
//
//   tfjs-run ml.bundle.js < rows.csv > predictions.csv
//
// Exit codes: 0 every row predicted (or skipped with --on-error skip); 1 usage; 2 bad input
// stopped the run; 3 the bundle failed to load or predict; 4 writing the output failed.
#include <chrono>
#include <cstdio>
#include <iostream>
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

struct Counters {
  uint64_t read = 0, predicted = 0, rejected = 0;
  double predict_seconds = 0;
};

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

// Groups rows into batches, predicts them and writes the results in input order.
class BatchRunner {
 public:
  BatchRunner(tfjs_run::Model& model, tfjs_run::cli::RowWriter& writer, Counters& counters, size_t batch_size,
              bool skip_errors)
      : model_(model), writer_(writer), counters_(counters), batch_size_(batch_size), skip_errors_(skip_errors) {}

  // Returns false if a prediction failed and errors are not skipped.
  bool Add(const std::vector<float>& row, uint64_t line) {
    if (cols_ == 0) cols_ = row.size();
    values_.insert(values_.end(), row.begin(), row.end());
    lines_.push_back(line);
    return lines_.size() < batch_size_ || Flush();
  }

  bool Flush() {
    if (lines_.empty()) return true;
    bool ok = true;
    try {
      Emit(Predict(DenseMatrixView(values_.data(), lines_.size(), cols_)));
    } catch (const tfjs_run::Error& e) {
      if (!skip_errors_) {
        std::fprintf(stderr, "tfjs-run: error: %s: %s\n", LineRange(lines_).c_str(), e.what());
        if (!e.js_stack().empty()) std::fprintf(stderr, "%s\n", e.js_stack().c_str());
        counters_.rejected += lines_.size();
        ok = false;
      } else {
        // Find the rows that fail: predict them one by one, so good rows still get an answer.
        for (size_t r = 0; r < lines_.size(); ++r) {
          try {
            Emit(Predict(DenseMatrixView(values_.data() + r * cols_, 1, cols_)));
          } catch (const tfjs_run::Error& row_error) {
            std::fprintf(stderr, "tfjs-run: skipped line %llu: %s\n", static_cast<unsigned long long>(lines_[r]),
                         row_error.what());
            ++counters_.rejected;
          }
        }
      }
    }
    values_.clear();
    lines_.clear();
    return ok;
  }

 private:
  DenseMatrix Predict(DenseMatrixView input) {
    auto start = Clock::now();
    DenseMatrix out = model_.Predict(input);
    counters_.predict_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    return out;
  }
  void Emit(const DenseMatrix& out) {
    for (size_t r = 0; r < out.rows(); ++r) writer_.Write(out.row(r).data(), out.cols());
    counters_.predicted += out.rows();
  }

  tfjs_run::Model& model_;
  tfjs_run::cli::RowWriter& writer_;
  Counters& counters_;
  size_t batch_size_;
  bool skip_errors_;
  size_t cols_ = 0;
  std::vector<float> values_;
  std::vector<uint64_t> lines_;
};

void PrintSummary(const Counters& c, double wall_seconds) {
  double rate = c.predict_seconds > 0 ? static_cast<double>(c.predicted) / c.predict_seconds : 0;
  std::fprintf(stderr,
               "tfjs-run: summary: rows read %llu, predicted %llu, rejected %llu; "
               "%.0f rows/s in predict (%.3f s), %.3f s wall\n",
               static_cast<unsigned long long>(c.read), static_cast<unsigned long long>(c.predicted),
               static_cast<unsigned long long>(c.rejected), rate, c.predict_seconds, wall_seconds);
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
        "e.g. 1-13 or 'alcohol,ash'. Default: all columns", cxxopts::value<std::string>()->default_value(""));
  options.add_options("Output")
    ("output-format", "Output format: csv or jsonl", cxxopts::value<std::string>()->default_value("csv"))
    ("q,quiet", "No summary on stderr")
    ("info", "Load the bundle, print what it declares as JSON, and exit");
  options.add_options("Model")
    ("b,batch-size", "Rows per predict call", cxxopts::value<size_t>()->default_value("64"))
    ("on-error", "What a bad row or a failed prediction does: fail (stop, exit non-zero) or skip "
        "(report it on stderr and go on)", cxxopts::value<std::string>()->default_value("fail"))
    ("load-timeout-ms", "Deadline for the bundle's load", cxxopts::value<int64_t>()->default_value("60000"))
    ("max-heap-mb", "V8 heap limit for the isolate, MiB (0: V8's default)", cxxopts::value<size_t>()->default_value("0"));
  options.add_options()
    ("bundle", "The bundle (ml.bundle.js)", cxxopts::value<std::string>())
    ("h,help", "Print this help");
  // clang-format on
  options.parse_positional({"bundle"});

  cxxopts::ParseResult args;
  tfjs_run::cli::RowReaderOptions reader_options;
  tfjs_run::cli::OutputFormat output_format = tfjs_run::cli::OutputFormat::kCsv;
  size_t batch_size = 64;
  bool skip_errors = false;
  try {
    args = options.parse(argc, argv);
    if (args.count("help")) {
      std::cout << options.help({"", "Input", "Output", "Model"}) << std::endl;
      return kOk;
    }
    if (!args.count("bundle")) throw cxxopts::exceptions::exception("missing BUNDLE (see --help)");
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
    std::string on_error = args["on-error"].as<std::string>();
    if (on_error != "fail" && on_error != "skip") throw cxxopts::exceptions::exception("--on-error must be fail or skip");
    skip_errors = on_error == "skip";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tfjs-run: %s\n", e.what());
    return kUsage;
  }

  std::unique_ptr<tfjs_run::Model> model;
  try {
    tfjs_run::ModelOptions model_options;
    model_options.load_timeout = std::chrono::milliseconds(args["load-timeout-ms"].as<int64_t>());
    model_options.max_heap_mb = args["max-heap-mb"].as<size_t>();
    model = tfjs_run::Model::Load(tfjs_run::BundleSource::FromFile(args["bundle"].as<std::string>()), model_options);
  } catch (const std::exception& e) {
    PrintError(e);
    return kModelFailed;
  }
  if (args.count("info")) {
    std::printf("%s\n", BundleInfoJson(model->info()).c_str());
    return kOk;
  }

  std::unique_ptr<RowReader> reader;
  try {
    reader = std::make_unique<RowReader>(stdin, reader_options);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tfjs-run: %s\n", e.what());
    return kUsage;
  }
  tfjs_run::cli::RowWriter writer(stdout, output_format);
  Counters counters;
  BatchRunner runner(*model, writer, counters, batch_size, skip_errors);
  const bool quiet = args.count("quiet") > 0;
  int exit_code = kOk;
  std::vector<float> row;
  RowError error;
  for (;;) {
    RowReader::Status status = reader->Next(row, error);
    if (status == RowReader::Status::kEnd) break;
    ++counters.read;
    if (status == RowReader::Status::kBadRow) {
      ++counters.rejected;
      if (skip_errors) {
        std::fprintf(stderr, "tfjs-run: skipped %s\n", error.ToString().c_str());
        continue;
      }
      // Rows before the bad one still get their predictions.
      if (!runner.Flush()) exit_code = kModelFailed;
      std::fprintf(stderr, "tfjs-run: error: %s\n", error.ToString().c_str());
      if (exit_code == kOk) exit_code = kBadInput;
      break;
    }
    if (!runner.Add(row, reader->line())) {
      exit_code = kModelFailed;
      break;
    }
  }
  if (exit_code == kOk && !runner.Flush()) exit_code = kModelFailed;
  if (exit_code == kOk && counters.read == 0) {
    std::fprintf(stderr, "tfjs-run: error: the input has no data rows%s\n",
                 reader->line() == 0 ? " (it is empty)" : " (only a header or blank lines)");
    exit_code = kBadInput;
  }
  if (!writer.Flush()) {
    std::fprintf(stderr, "tfjs-run: error: writing the output failed\n");
    exit_code = kOutputFailed;
  }
  if (!quiet) PrintSummary(counters, std::chrono::duration<double>(Clock::now() - wall_start).count());
  return exit_code;
}
