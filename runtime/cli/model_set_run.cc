#include "model_set_run.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "csv_record.h"
#include "messages.h"
#include "row_io.h"

namespace tfjs_run::cli {

namespace {

using Clock = std::chrono::steady_clock;
enum Exit { kOk = 0, kBadInput = 2, kModelFailed = 3, kOutputFailed = 4 };
constexpr size_t kChunkRows = 1024;  // records read before their rows are predicted and written

bool IsIndex(const std::string& s) {
  return !s.empty() && s.size() < 9 && s.find_first_not_of("0123456789") == std::string::npos;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= s.size()) {
    const size_t comma = std::min(s.find(',', from), s.size());
    out.push_back(s.substr(from, comma - from));
    from = comma + 1;
  }
  return out;
}

// One record of the input, and what became of it.
struct Row {
  enum Kind { kBlank, kRejected, kParsed } kind = kBlank;
  uint64_t line = 0;
  std::string model;
  std::shared_ptr<const Prediction> answer;  // kParsed and answered
  size_t answer_row = 0;
};

// One model's rows of a chunk.
struct ModelRows {
  BundleInfo info;
  std::vector<float> values;
  std::vector<size_t> rows;  // their index in the chunk
};

class ModelSetRun {
 public:
  ModelSetRun(ModelSet& models, const CliOptions& o, InputFiles& inputs) : models_(models), o_(o), inputs_(inputs) {}

  Exit Run(const std::function<bool()>& stop_requested) {
    RowReaderOptions options = o_.reader;
    options.columns.clear();  // the parser only splits records and finds the header; --columns is applied here
    options.feature_names.clear();
    options.before_blocking_read = [this] { Flush(); };
    options.stop_reading = [this, &stop_requested] { return result_ != kOk || stop_requested(); };
    options.next_input = [this](uint64_t lines_before) { return inputs_.Next(lines_before); };
    RowReader reader(-1, std::move(options));
    reader_ = &reader;
    RowReader::Record record;
    while (result_ == kOk && reader.NextRecord(record)) {
      last_line_ = record.line;
      Take(record);
      if (chunk_.size() >= kChunkRows) Flush();
    }
    last_line_ = std::max(last_line_, reader.lines_read());
    read_error_ = reader.read_error();
    Flush();
    if (!fatal_.empty()) WriteAll(stderr, fatal_);
    return result_;
  }

  const RowCounts& counts() const { return counts_; }
  const std::map<std::string, RowCounts>& per_model() const { return per_model_; }
  uint64_t last_line() const { return last_line_; }
  int read_error() const { return read_error_; }
  Clock::time_point first_row_time() const { return first_row_time_; }

 private:
  // Reads one record into the chunk: a blank line, a rejected row, or a model's row.
  void Take(const RowReader::Record& record) {
    Row row;
    row.line = record.line;
    if (record.blank) {
      ++counts_.blank;
      chunk_.push_back(row);
      return;
    }
    if (counts_.read++ == 0) first_row_time_ = Clock::now();
    std::vector<float> values;
    RowError error{record.line, 0, ""};
    if (record.overlong) {
      error.message = "longer than --max-line-bytes " + std::to_string(o_.reader.max_line_bytes);
    } else if (Parse(record.text, row.model, values, error)) {
      ModelRows* rows = RowsOf(row.model, error);
      if (rows && rows->info.input_cols >= 0 && values.size() != static_cast<size_t>(rows->info.input_cols)) {
        error.message = "the row has " + std::to_string(values.size()) + " features; the model '" + row.model +
                        "' takes " + std::to_string(rows->info.input_cols);
        rows = nullptr;
      }
      if (rows) {
        row.kind = Row::kParsed;
        rows->values.insert(rows->values.end(), values.begin(), values.end());
        rows->rows.push_back(chunk_.size());
        ++per_model_[row.model].read;
        chunk_.push_back(std::move(row));
        return;
      }
    }
    row.kind = Row::kRejected;
    Rejected(row, error.ToString(inputs_.Where(error.line)));
    chunk_.push_back(std::move(row));
  }

  void Rejected(Row& row, const std::string& why) {
    row.kind = Row::kRejected;
    ++counts_.rejected;
    if (!row.model.empty() && per_model_.count(row.model)) ++per_model_[row.model].rejected;
    if (o_.pipeline.on_error == OnError::kFail) {
      if (fatal_.empty()) fatal_ = "tfjs-run: error: " + Printable(why) + "\n";
      result_ = std::max(result_, kBadInput);
      return;
    }
    WriteAll(stderr, std::string("tfjs-run: ") + (o_.pipeline.on_error == OnError::kSkip ? "skipped " : "dropped ") +
                         Printable(why) + "\n");
  }

  // The chunk's rows for `model`, or null (and `error`) when no such model is served.
  ModelRows* RowsOf(const std::string& model, RowError& error) {
    auto it = rows_.find(model);
    if (it != rows_.end()) return &it->second;
    try {
      ModelRows rows;
      rows.info = models_.info(model);
      return &rows_.emplace(model, std::move(rows)).first->second;
    } catch (const Error&) {
      std::string names;
      for (const auto& n : models_.names()) names += (names.empty() ? "" : ", ") + n;
      error.message = "unknown model '" + model + "' (serving: " + (names.empty() ? "none" : names) + ")";
      return nullptr;
    }
  }

  bool Parse(std::string_view text, std::string& model, std::vector<float>& values, RowError& error) {
    if (o_.reader.format == InputFormat::kJsonLines) return ParseJson(text, model, values, error);
    return ParseCsv(text, model, values, error);
  }

  // Without --model-column, every row is the one model's.
  std::string OnlyModel() const {
    const std::vector<std::string> names = models_.names();
    return names.empty() ? std::string() : names.front();
  }

  // A column named by --model-column or --columns: an index, or a name in the header.
  std::optional<size_t> Column(const std::string& spec) const {
    if (IsIndex(spec)) return std::stoul(spec);
    const auto& header = reader_->header();
    auto it = std::find(header.begin(), header.end(), spec);
    if (it == header.end()) return std::nullopt;
    return static_cast<size_t>(it - header.begin());
  }

  // A feature value: a finite float32 unless --allow-nonfinite.
  bool Value(std::optional<float> v, size_t column, std::vector<float>& values, RowError& error) const {
    if (!v || (!o_.reader.allow_nonfinite && !std::isfinite(*v))) {
      error.column = column + 1;
      error.message = "not a finite float32 number";
      return false;
    }
    values.push_back(*v);
    return true;
  }

  bool ParseCsv(std::string_view text, std::string& model, std::vector<float>& values, RowError& error) {
    std::vector<std::string_view> fields;
    std::string scratch;
    CsvSplitError split;
    if (!SplitCsvRecord(text, o_.reader.delimiter, fields, scratch, split)) {
      error.column = split.field;
      error.message = split.message;
      return false;
    }
    size_t model_col = 0;
    if (!o_.model_column.empty()) {
      const auto col = Column(o_.model_column);
      if (!col) {
        error.message = "no column '" + o_.model_column + "' (--model-column) in the header";
        return false;
      }
      if (*col >= fields.size()) {
        error.message = "no field " + std::to_string(*col) + " (--model-column) in the row";
        return false;
      }
      model_col = *col;
      model = std::string(fields[model_col]);
    } else {
      model = OnlyModel();  // one model, and no column naming it
    }
    std::vector<size_t> features;
    if (!o_.reader.columns.empty()) {
      for (const std::string& spec : SplitList(o_.reader.columns)) {
        const size_t dash = spec.find('-');
        if (dash != std::string::npos && IsIndex(spec.substr(0, dash)) && IsIndex(spec.substr(dash + 1))) {
          for (size_t c = std::stoul(spec.substr(0, dash)); c <= std::stoul(spec.substr(dash + 1)); ++c) features.push_back(c);
        } else if (auto c = Column(spec)) {
          features.push_back(*c);
        } else {
          error.message = "no column '" + spec + "' (--columns) in the header";
          return false;
        }
      }
    } else {
      for (size_t c = 0; c < fields.size(); ++c) {
        if (o_.model_column.empty() || c != model_col) features.push_back(c);
      }
    }
    for (size_t c : features) {
      if (c >= fields.size()) {
        error.message = "the row has " + std::to_string(fields.size()) + " fields; --columns names field " + std::to_string(c);
        return false;
      }
      if (!Value(ParseFloat(fields[c]), c, values, error)) return false;
    }
    return true;
  }

  bool ParseJson(std::string_view text, std::string& model, std::vector<float>& values, RowError& error) {
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || (!j.is_object() && !j.is_array())) {
      error.message = "not a JSON object or array";
      return false;
    }
    auto number = [&](const nlohmann::json& v, size_t column) {
      const bool ok = v.is_number() && std::fabs(v.get<double>()) <= std::numeric_limits<float>::max();
      return Value(ok ? std::optional<float>(static_cast<float>(v.get<double>())) : std::nullopt, column, values, error);
    };
    if (j.is_array()) {
      const size_t model_col = IsIndex(o_.model_column) ? std::stoul(o_.model_column) : j.size();
      if (o_.model_column.empty()) {
        model = OnlyModel();
      } else if (model_col >= j.size() || !j[model_col].is_string()) {
        error.message = "no model name at index '" + o_.model_column + "' (--model-column)";
        return false;
      } else {
        model = j[model_col].get<std::string>();
      }
      for (size_t c = 0; c < j.size(); ++c) {
        if (c != model_col && !number(j[c], c)) return false;
      }
      return true;
    }
    if (o_.model_column.empty()) {
      model = OnlyModel();
    } else if (!j.contains(o_.model_column) || !j[o_.model_column].is_string()) {
      error.message = "no field '" + o_.model_column + "' (--model-column) holding a model name";
      return false;
    } else {
      model = j[o_.model_column].get<std::string>();
    }
    std::vector<std::string> keys;
    if (!o_.reader.columns.empty()) {
      keys = SplitList(o_.reader.columns);
    } else {
      RowError unknown;
      ModelRows* rows = RowsOf(model, unknown);
      if (!rows) {
        error.message = unknown.message;
        return false;
      }
      keys = rows->info.feature_names;
      if (keys.empty()) {
        error.message = "the model '" + model + "' names no features: a JSON object's keys need --columns";
        return false;
      }
    }
    for (size_t k = 0; k < keys.size(); ++k) {
      if (!j.contains(keys[k])) {
        error.message = "no key '" + keys[k] + "' (a feature of the model '" + model + "')";
        return false;
      }
      if (!number(j[keys[k]], k)) {
        error.message = "'" + keys[k] + "' is " + error.message;
        return false;
      }
    }
    return true;
  }

  // Predicts the chunk's rows, each model's in --batch-size batches submitted at once, and writes
  // the chunk in input order.
  void Flush() {
    struct Batch {
      std::string model;
      size_t from, n;
      std::future<Prediction> answer;
    };
    std::vector<Batch> batches;
    for (auto& [model, rows] : rows_) {
      const size_t cols = rows.rows.empty() ? 0 : rows.values.size() / rows.rows.size();
      for (size_t from = 0; from < rows.rows.size(); from += o_.pipeline.batch_size) {
        const size_t n = std::min(o_.pipeline.batch_size, rows.rows.size() - from);
        auto done = std::make_shared<std::promise<Prediction>>();
        batches.push_back({model, from, n, done->get_future()});
        try {
          models_.Submit(model, DenseMatrixView(rows.values.data() + from * cols, n, cols),
                         [done](Prediction p, std::exception_ptr e) {
                           if (e) done->set_exception(e);
                           else done->set_value(std::move(p));
                         });
        } catch (...) {  // refused before queueing (removed meanwhile, shutdown): answered in order below
          done->set_exception(std::current_exception());
        }
      }
    }
    for (Batch& b : batches) Answer(b.model, b.from, b.n, b.answer);
    Write();
    chunk_.clear();
    rows_.clear();
  }

  // Fills the answers of rows [from, from + n) of `model`; a failed batch is retried row by row
  // with --on-error skip or drop, so only the rows that fail are rejected.
  void Answer(const std::string& model, size_t from, size_t n, std::future<Prediction>& answer) {
    ModelRows& rows = rows_[model];
    const size_t cols = rows.values.size() / rows.rows.size();
    try {
      auto p = std::make_shared<const Prediction>(answer.get());
      for (size_t r = 0; r < n; ++r) chunk_[rows.rows[from + r]].answer = p, chunk_[rows.rows[from + r]].answer_row = r;
      return;
    } catch (const std::exception& e) {
      if (o_.pipeline.on_error == OnError::kFail) {
        const uint64_t first = chunk_[rows.rows[from]].line, last = chunk_[rows.rows[from + n - 1]].line;
        Failed(rows.rows[from], "model '" + model + "', " + inputs_.Range(first, last) + ": " + e.what());
        return;
      }
    }
    for (size_t r = from; r < from + n; ++r) {
      Row& row = chunk_[rows.rows[r]];
      try {
        row.answer = std::make_shared<const Prediction>(
            models_.PredictVersioned(model, DenseMatrixView(rows.values.data() + r * cols, 1, cols)));
      } catch (const std::exception& e) {
        Rejected(row, inputs_.Where(row.line) + ": model '" + model + "': " + e.what());
      }
    }
  }

  // --on-error fail: a prediction failed; rows from `index` on are not written.
  void Failed(size_t index, const std::string& why) {
    if (!model_failed_ || index < model_failed_at_) {
      model_failed_at_ = index;
      model_failure_ = "tfjs-run: error: " + Printable(why) + "\n";
    }
    model_failed_ = true;
  }

  void Write() {
    std::string out;
    const bool keep_places = o_.pipeline.on_error == OnError::kSkip;
    static const std::string kNoVersion;
    for (size_t i = 0; i < chunk_.size(); ++i) {
      Row& row = chunk_[i];
      if (model_failed_ && i >= model_failed_at_) {
        counts_.unprocessed += chunk_.size() - i - std::count_if(chunk_.begin() + i, chunk_.end(), [](const Row& r) {
          return r.kind == Row::kBlank;
        });
        break;
      }
      if (row.kind == Row::kBlank) {
        out += '\n';
      } else if (row.answer) {
        const DenseMatrix& m = row.answer->output;
        AppendRow(out, o_.pipeline.output_format, o_.pipeline.output_delimiter, m.row(row.answer_row).data(), m.cols(),
                  o_.pipeline.with_version ? &row.answer->bundle_version : nullptr);
        ++counts_.predicted;
        ++per_model_[row.model].predicted;
      } else if (row.kind == Row::kRejected && keep_places) {
        auto it = rows_.find(row.model);
        const size_t cols = it != rows_.end() ? static_cast<size_t>(std::max<int64_t>(1, it->second.info.output_cols)) : 1;
        const std::vector<float> nan_row(cols, std::numeric_limits<float>::quiet_NaN());
        AppendRow(out, o_.pipeline.output_format, o_.pipeline.output_delimiter, nan_row.data(), cols,
                  o_.pipeline.with_version ? &kNoVersion : nullptr);
      }
    }
    if (model_failed_) {
      fatal_ = model_failure_ + fatal_;
      result_ = kModelFailed;
    }
    if (!out.empty() && !output_failed_ &&
        (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0)) {
      output_failed_ = true;
      fatal_ += "tfjs-run: error: writing the output failed (" + std::string(std::strerror(errno)) + "); stopped reading input after " +
                inputs_.Where(last_line_) + "\n";
      result_ = kOutputFailed;
    }
  }

  ModelSet& models_;
  const CliOptions& o_;
  InputFiles& inputs_;
  const RowReader* reader_ = nullptr;
  std::vector<Row> chunk_;
  std::map<std::string, ModelRows> rows_;  // the chunk's, by model
  RowCounts counts_;
  std::map<std::string, RowCounts> per_model_;
  Exit result_ = kOk;
  std::string fatal_;  // said after the last answer is written
  bool model_failed_ = false, output_failed_ = false;
  size_t model_failed_at_ = 0;
  std::string model_failure_;
  uint64_t last_line_ = 0;
  int read_error_ = 0;
  Clock::time_point first_row_time_ = Clock::now();
};

void PrintModels(const ModelSet& models, const std::map<std::string, RowCounts>& per_model) {
  for (const ModelStats& s : models.Stats()) {
    auto it = per_model.find(s.name);
    const RowCounts c = it == per_model.end() ? RowCounts{} : it->second;
    std::fprintf(stderr, "tfjs-run: model %s: rows %llu, predicted %llu, rejected %llu; version %s; %llu reloads, "
                 "%llu failed; latency p50 %.0f us, p99 %.0f us\n", s.name.c_str(),
                 static_cast<unsigned long long>(c.read), static_cast<unsigned long long>(c.predicted),
                 static_cast<unsigned long long>(c.rejected), s.version.c_str(),
                 static_cast<unsigned long long>(s.runtime.reloads_ok),
                 static_cast<unsigned long long>(s.runtime.reloads_failed), s.runtime.latency.p50_us,
                 s.runtime.latency.p99_us);
  }
}

}  // namespace

int RunModelSet(const CliOptions& o, InputFiles& inputs, const std::function<bool()>& stop_requested,
                int64_t started_unix_ms) {
  const auto wall_start = Clock::now();
  ModelSet models(o.runtime);
  std::unique_ptr<ModelLayoutWatcher> layout;
  const WatchOptions watch = o.watch.value_or(WatchOptions{});
  for (const ModelConfigEntry& e : o.models) {
    try {
      AddConfiguredModel(models, e, watch, o.runtime);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "tfjs-run: error: model '%s': %s\n", e.name.c_str(), error.what());
      return kModelFailed;
    }
  }
  try {
    if (o.watch) layout = std::make_unique<ModelLayoutWatcher>(models, watch, o.runtime);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tfjs-run: error: %s\n", error.what());
    return kModelFailed;
  }
  if (models.names().empty() && o.model_column.empty()) {
    std::fprintf(stderr, "tfjs-run: error: no model loaded\n");
    return kModelFailed;
  }
  ModelSetRun run(models, o, inputs);
  int exit_code = run.Run(stop_requested);
  layout.reset();  // no model comes or goes during the report
  if (!inputs.error().empty() || run.read_error() != 0) {
    if (!inputs.error().empty()) {
      std::fprintf(stderr, "tfjs-run: error: %s\n", inputs.error().c_str());
    } else {
      std::fprintf(stderr, "tfjs-run: error: reading the input failed after %s: %s\n", inputs.Where(run.last_line()).c_str(),
                   std::strerror(run.read_error()));
    }
    if (exit_code == kOk) exit_code = kBadInput;
  }
  if (!o.quiet) {
    const RowCounts& c = run.counts();
    PrintSummary(c, std::chrono::duration<double>(Clock::now() - wall_start).count(),
                 c.read ? std::chrono::duration<double>(Clock::now() - run.first_row_time()).count() : 0);
    PrintModels(models, run.per_model());
  }
  if (!o.metrics_file.empty()) {
    std::vector<ModelStats> stats = models.Stats();
    for (ModelStats& s : stats) s.since_ms = std::max(s.since_ms, started_unix_ms);
    if (!WriteMetricsFile(o.metrics_file, PrometheusText(stats)) && exit_code == kOk) exit_code = kOutputFailed;
  }
  return exit_code;
}

}  // namespace tfjs_run::cli
