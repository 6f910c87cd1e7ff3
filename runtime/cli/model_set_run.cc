#include "model_set_run.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
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

#include <sched.h>

#include <nlohmann/json.hpp>

#include "csv_record.h"
#include "json_limits.h"
#include "messages.h"
#include "row_io.h"
#include "stop_reloads.h"

namespace tfjs_run::cli {

namespace {

using Clock = std::chrono::steady_clock;
enum Exit { kOk = 0, kBadInput = 2, kModelFailed = 3, kOutputFailed = 4 };
// Records read before the answers are awaited and written: this many, or twice a batch of every
// model, whichever is more (Flush).
constexpr size_t kChunkRows = 1024;

bool IsIndex(const std::string& s) {
  return !s.empty() && s.size() < 9 && s.find_first_not_of("0123456789") == std::string::npos;
}

// One record of the input, and what became of it.
struct Row {
  enum Kind { kBlank, kRejected, kParsed } kind = kBlank;
  uint64_t line = 0;
  std::string model;
  RowCounts* counts = nullptr;  // kParsed: its model's counts
  std::shared_ptr<const Prediction> answer;  // kParsed and answered
  size_t answer_row = 0;
};

// A batch of one model's rows, submitted as soon as it is full (or at the chunk's end), so the
// model works while the next rows are read. It owns its values: the runtime reads them until the
// answer comes, and nothing resizes them meanwhile.
struct Batch {
  std::string model;
  std::vector<float> values;
  std::vector<size_t> rows;  // their index in the chunk
  std::future<Prediction> answer;
};

// One model's RowParser, set up with its bundle's feature names and the run's header and
// --columns, so every rule of the single-model CLI holds for each model's rows.
struct ModelParser {
  std::vector<std::string> feature_names;  // what it was set up with: a new version may declare others
  std::optional<RowParser> parser;
  std::string error;  // why it cannot be set up for this model (--columns against its feature names)
  bool warned_keys = false;  // JSON keys that are not its features: said once per model
};

// What is kept of one model from chunk to chunk. Its rows reach it through their model's
// ModelRows, so a row costs one lookup by name rather than one per thing kept.
struct ModelState {
  std::optional<ModelParser> parser;  // set up on its first row (Features)
  size_t target = 0;  // the rows at which its batch is submitted (BatchTarget); 0: not worked out yet
  RowCounts* counts = nullptr;  // in per_model_, from its first row read
};

// One model's rows of a chunk not yet submitted (fewer than --batch-size), and its info.
struct ModelRows {
  BundleInfo info;
  ModelState* state = nullptr;
  bool parser_checked = false;  // its parser was set up with `info`'s feature names (Features)
  std::vector<float> values;
  std::vector<size_t> rows;  // their index in the chunk
};

class ModelSetRun {
 public:
  ModelSetRun(ModelSet& models, const CliOptions& o, InputFiles& inputs) : models_(models), o_(o), inputs_(inputs) {}

  Exit Run(const std::function<bool()>& stop_requested) {
    RowReaderOptions options = o_.reader;
    options.columns.clear();  // this reader only splits records and finds the header; each model's parser does the rest
    options.feature_names.clear();
    options.before_blocking_read = [this] { Flush(/*all=*/true); };
    options.stop_reading = [this, &stop_requested] { return result_ != kOk || stop_requested(); };
    options.next_input = [this](uint64_t lines_before) { return inputs_.Next(lines_before); };
    RowReader reader(-1, std::move(options));
    reader_ = &reader;
    RowReader::Record record;
    const size_t chunk_rows = std::max(kChunkRows, 2 * o_.pipeline.batch_size * std::max<size_t>(1, models_.names().size()));
    while (result_ == kOk && reader.NextRecord(record)) {
      last_line_ = record.line;
      Take(record);
      if (chunk_.size() >= chunk_rows) Flush(/*all=*/false);
    }
    last_line_ = std::max(last_line_, reader.lines_read());
    read_error_ = reader.read_error();
    Flush(/*all=*/true);
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
    } else if (ModelOf(record.text, row.model, error)) {
      ModelRows* rows = RowsOf(row.model, error);
      if (rows && !Features(row.model, *rows, record, values, error)) rows = nullptr;
      if (rows && rows->info.input_cols >= 0 && values.size() != static_cast<size_t>(rows->info.input_cols)) {
        error.message = "the row has " + std::to_string(values.size()) + " features; the model '" + row.model +
                        "' takes " + std::to_string(rows->info.input_cols);
        rows->state->parser.reset();  // it may have settled on this row: the next one settles anew
        rows = nullptr;
      }
      if (rows) {
        row.kind = Row::kParsed;
        rows->values.insert(rows->values.end(), values.begin(), values.end());
        rows->rows.push_back(chunk_.size());
        if (!rows->state->counts) rows->state->counts = &per_model_[row.model];
        row.counts = rows->state->counts;
        ++row.counts->read;
        chunk_.push_back(std::move(row));
        if (rows->rows.size() >= BatchTarget(chunk_.back().model, *rows->state)) Submit(chunk_.back().model, *rows);
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
      rows.state = &state_[model];
      return &rows_.emplace(model, std::move(rows)).first->second;
    } catch (const Error&) {
      std::string names;
      for (const auto& n : models_.names()) names += (names.empty() ? "" : ", ") + n;
      error.message = "unknown model '" + model + "' (serving: " + (names.empty() ? "none" : names) + ")";
      return nullptr;
    }
  }

  // Without --model-column, every row is the one model's.
  std::string OnlyModel() const {
    const std::vector<std::string> names = models_.names();
    return names.empty() ? std::string() : names.front();
  }

  // Field `index` of a CSV record with no quotes and no carriage return (what SplitCsvRecord
  // would give, without splitting the rest), into `out`; false for any other record, or one with
  // fewer fields.
  static bool PlainField(std::string_view text, char delimiter, size_t index, std::string& out) {
    if (text.find_first_of("\"\r") != std::string_view::npos) return false;
    size_t at = 0;
    for (size_t i = 0; i < index; ++i) {
      const size_t next = text.find(delimiter, at);
      if (next == std::string_view::npos) return false;
      at = next + 1;
    }
    const size_t stop = std::min(text.find(delimiter, at), text.size());
    out.assign(text.data() + at, stop - at);
    return true;
  }

  // The --model-column field's index in a CSV record: the index given, or the header's column of that name.
  std::optional<size_t> ModelColumn() const {
    if (IsIndex(o_.model_column)) return std::stoul(o_.model_column);
    const auto& header = reader_->header();
    auto it = std::find(header.begin(), header.end(), o_.model_column);
    if (it == header.end()) return std::nullopt;
    return static_cast<size_t>(it - header.begin());
  }

  // The model a record names in its --model-column field: a CSV field, a JSON array's element or
  // a JSON object's key. Only the name is read here; the features are the model's parser's.
  bool ModelOf(std::string_view text, std::string& model, RowError& error) const {
    if (o_.model_column.empty()) {
      model = OnlyModel();
      return true;
    }
    if (o_.reader.format == InputFormat::kJsonLines) {
      if (internal::JsonDepth(text) > kMaxJsonDepth) {
        error.message = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
        return false;
      }
      const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      const nlohmann::json* name = nullptr;
      if (doc.is_array() && IsIndex(o_.model_column)) {
        const size_t i = std::stoul(o_.model_column);
        if (i < doc.size()) name = &doc[i];
      } else if (doc.is_object() && doc.contains(o_.model_column)) {
        name = &doc[o_.model_column];
      } else if (!doc.is_array() && !doc.is_object()) {
        error.message = "not a JSON object or array";
        return false;
      }
      if (!name || !name->is_string()) {
        error.message = "no model name in '" + o_.model_column + "' (--model-column)";
        return false;
      }
      model = name->get<std::string>();
      return true;
    }
    const auto col = ModelColumn();
    if (col && PlainField(text, o_.reader.delimiter, *col, model)) return true;
    std::vector<std::string_view> fields;
    std::string scratch;
    CsvSplitError split;
    if (!SplitCsvRecord(text, o_.reader.delimiter, fields, scratch, split)) {
      error.column = split.field;
      error.message = split.message;
      return false;
    }
    if (!col) {
      error.message = "no column '" + o_.model_column + "' (--model-column) in the header";
      return false;
    }
    if (*col >= fields.size()) {
      error.message = "no field " + std::to_string(*col) + " (--model-column) in the row";
      return false;
    }
    model = std::string(fields[*col]);
    return true;
  }

  // --model-column as a header name or JSON key (the header's name for an index), or "".
  std::string ModelColumnName() const {
    if (!IsIndex(o_.model_column)) return o_.model_column;
    const auto& header = reader_->header();
    const size_t at = std::stoul(o_.model_column);
    return at < header.size() ? std::string(header[at]) : std::string();
  }

  void Warn(const std::string& text) const {
    if (o_.log_level <= LogLevel::kWarn) std::fprintf(stderr, "tfjs-run: warning: %s\n", text.c_str());
  }

  // Reads the record's features for `model` with its parser, set up on its first row, and again
  // on the first row after its info names other features.
  bool Features(const std::string& model, ModelRows& rows, const RowReader::Record& record, std::vector<float>& values,
                RowError& error) {
    std::optional<ModelParser>& parser = rows.state->parser;
    if (!parser || (!rows.parser_checked && parser->feature_names != rows.info.feature_names)) {
      parser = NewParser(model, rows.info, record.text);
    }
    rows.parser_checked = true;
    ModelParser& p = *parser;
    std::string ignored_keys;
    if (p.parser ? p.parser->Parse(record.text, record.line, values, error, p.warned_keys ? nullptr : &ignored_keys)
                 : (error.message = p.error, false)) {
      if (!ignored_keys.empty()) {
        p.warned_keys = true;
        Warn(inputs_.Where(record.line) + ": model '" + model + "': ignored key(s) " + Printable(ignored_keys) +
             ", not features of its bundle (said once per model; later lines are not checked)");
      }
      return true;
    }
    error.message = "model '" + model + "': " + error.message;
    return false;
  }

  // A parser for one model's rows, settled on the input's header when that is what names the
  // features (--columns, or the bundle's feature names); otherwise on the model's first row,
  // every field but the model's a feature, so each model's rows may have their own width.
  ModelParser NewParser(const std::string& model, const BundleInfo& info, std::string_view first_row) const {
    ModelParser p;
    p.feature_names = info.feature_names;
    RowParserOptions options = ParserOptions(o_.reader);
    options.feature_names = info.feature_names;
    options.not_a_feature = ModelColumnName();
    const std::optional<std::string>& header = reader_->header_text();
    const bool csv = o_.reader.format == InputFormat::kCsv;
    const bool by_header = csv && header && (!options.columns.empty() || !options.feature_names.empty());
    options.header = by_header ? HeaderMode::kYes : HeaderMode::kNo;
    if (!by_header && options.columns.empty() && !o_.model_column.empty()) {
      const std::optional<size_t> fields = FieldCount(first_row), model_col = csv ? ModelColumn() : std::nullopt;
      const size_t skip = model_col ? *model_col : IsIndex(o_.model_column) ? std::stoul(o_.model_column) : SIZE_MAX;
      // Ranges around the model's column; a JSON object (no count) is read by its keys.
      if (fields && skip < *fields) {
        if (skip > 0) options.columns = "0-" + std::to_string(skip - 1);
        if (skip + 1 < *fields) {
          options.columns += (skip > 0 ? "," : "") + std::to_string(skip + 1) + "-" + std::to_string(*fields - 1);
        }
      }
    }
    try {
      p.parser.emplace(options);
    } catch (const std::invalid_argument& e) {
      p.error = e.what();
      return p;
    }
    p.parser->Settle(by_header ? std::string_view(*header) : first_row, 0);
    if (by_header && !p.parser->ignored_columns().empty()) {
      Warn("model '" + model + "': the header's column(s) " + Printable(p.parser->ignored_columns()) +
           " are not features of its bundle: ignored");
    }
    return p;
  }

  // The fields of a CSV record or the elements of a JSON array; empty for a JSON object.
  std::optional<size_t> FieldCount(std::string_view text) const {
    if (o_.reader.format == InputFormat::kJsonLines) {
      const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      return doc.is_array() ? std::optional<size_t>(doc.size()) : std::nullopt;
    }
    std::vector<std::string_view> fields;
    std::string scratch;
    CsvSplitError split;
    return SplitCsvRecord(text, o_.reader.delimiter, fields, scratch, split) ? std::optional<size_t>(fields.size())
                                                                            : std::nullopt;
  }

  // The rows at which `model`'s batch is submitted: --batch-size, but each model's first batch is
  // cut at (k + 1) / N of it for the k-th of N models, so that when rows name the models evenly
  // (round-robin, say) their batches come due one after another rather than all at once, and the
  // runtime gets a steady stream instead of bursts of N batches.
  // Worked out once per model (not per row), and --batch-size from its first batch on.
  size_t BatchTarget(const std::string& model, ModelState& state) {
    if (state.target) return state.target;
    const size_t batch = o_.pipeline.batch_size;
    const std::vector<std::string> names = models_.names();
    const size_t k = static_cast<size_t>(std::find(names.begin(), names.end(), model) - names.begin());
    const size_t first = std::max<size_t>(1, batch * (std::min(k, names.size()) + 1) / std::max<size_t>(1, names.size()));
    return state.target = first;
  }

  // Submits `rows` (one model's, not yet submitted) as a batch, emptying them.
  void Submit(const std::string& model, ModelRows& rows) {
    rows.state->target = o_.pipeline.batch_size;
    Batch& b = batches_.emplace_back();
    b.model = model;
    b.values = std::move(rows.values);
    b.rows = std::move(rows.rows);
    rows.values.clear();
    rows.rows.clear();
    const size_t n = b.rows.size(), cols = b.values.size() / n;
    auto done = std::make_shared<std::promise<Prediction>>();
    b.answer = done->get_future();
    try {
      models_.Submit(model, DenseMatrixView(b.values.data(), n, cols), [done](Prediction p, std::exception_ptr e) {
        if (e) done->set_exception(e);
        else done->set_value(std::move(p));
      });
    } catch (...) {  // refused before queueing (removed meanwhile, shutdown): answered in order in Flush
      done->set_exception(std::current_exception());
    }
  }

  // Waits for every batch submitted and writes the chunk in input order: with `all`, all of it,
  // submitting each model's rows left over first. Otherwise a model's batch that is not full yet
  // stays open, and the records from its first row on stay for the next chunk (so that batches
  // do not all come due at each chunk's end): only the rows from the chunk's first half are
  // submitted unfilled, so at least half of it is written. A failed prediction (--on-error fail)
  // writes all of it, up to the failure.
  void Flush(bool all) {
    SubmitLeftOvers(all ? chunk_.size() : chunk_.size() / 2);
    for (Batch& b : batches_) Answer(b);
    batches_.clear();
    if (model_failed_ && !all) {
      Flush(/*all=*/true);
      return;
    }
    size_t written = chunk_.size();
    for (const auto& [model, rows] : rows_) {
      if (!rows.rows.empty()) written = std::min(written, rows.rows.front());
    }
    Write(written);
    chunk_.erase(chunk_.begin(), chunk_.begin() + static_cast<std::ptrdiff_t>(written));
    if (chunk_.empty()) {
      rows_.clear();  // each model's info is read again with its next row (a reload may change it)
      return;
    }
    for (auto& [model, rows] : rows_) {
      for (size_t& r : rows.rows) r -= written;
      try {
        rows.info = models_.info(model);
        rows.parser_checked = false;
      } catch (const Error&) {  // removed meanwhile: its rows are answered (or refused) as submitted
      }
    }
  }

  // Submits the rows not yet submitted of each model whose first such row is before `before`.
  void SubmitLeftOvers(size_t before) {
    for (auto& [model, rows] : rows_) {
      if (!rows.rows.empty() && rows.rows.front() < before) Submit(model, rows);
    }
  }

  // Fills the answers of the batch's rows; a failed batch is retried row by row with --on-error
  // skip or drop, so only the rows that fail are rejected.
  void Answer(Batch& b) {
    const size_t n = b.rows.size(), cols = b.values.size() / n;
    try {
      auto p = std::make_shared<const Prediction>(b.answer.get());
      for (size_t r = 0; r < n; ++r) chunk_[b.rows[r]].answer = p, chunk_[b.rows[r]].answer_row = r;
      return;
    } catch (const std::exception& e) {
      if (o_.pipeline.on_error == OnError::kFail) {
        const uint64_t first = chunk_[b.rows.front()].line, last = chunk_[b.rows.back()].line;
        Failed(b.rows.front(), "model '" + b.model + "', " + inputs_.Range(first, last) + ": " + e.what());
        return;
      }
    }
    for (size_t r = 0; r < n; ++r) {
      Row& row = chunk_[b.rows[r]];
      try {
        row.answer = std::make_shared<const Prediction>(
            models_.PredictVersioned(b.model, DenseMatrixView(b.values.data() + r * cols, 1, cols)));
      } catch (const std::exception& e) {
        Rejected(row, inputs_.Where(row.line) + ": model '" + b.model + "': " + e.what());
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

  // Writes the chunk's first `rows` records (all of them after a failure, up to it).
  void Write(size_t rows) {
    std::string out;
    const bool keep_places = o_.pipeline.on_error == OnError::kSkip;
    static const std::string kNoVersion;
    for (size_t i = 0; i < rows; ++i) {
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
        ++row.counts->predicted;
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
      model_failure_.clear();  // said once, though the last Flush writes again
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
  std::map<std::string, ModelRows> rows_;  // the chunk's rows not yet submitted, by model
  std::vector<Batch> batches_;             // the chunk's batches submitted, in that order
  std::map<std::string, ModelState> state_;  // by model, kept from chunk to chunk
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

// The serving threads --threads asks for: its number, or (0) one per core this process may use.
size_t ServingThreadCount(const RuntimeOptions& options) {
  if (options.workers != 0) return options.workers;
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof(set), &set) == 0 ? static_cast<size_t>(CPU_COUNT(&set)) : 1;
}

// --model-threads auto: more models than serving threads share them. A worker per model (or
// several) then puts more threads than cores to work, each woken for 1/N of the rows: with 16
// models on 2 cores, the worst model's p99 was 2 to 2.6x one model's, against 1.2 to 1.5x on
// shared threads (docs/models.md).
bool SharedThreads(const CliOptions& o) {
  if (o.model_threads != CliOptions::ModelThreads::kAuto) return o.model_threads == CliOptions::ModelThreads::kShared;
  return o.models.size() > ServingThreadCount(o.runtime);
}

// With --threads 0 (one per core) and several models, each model gets its share of the cores
// (at least one worker) rather than a worker per core: models x cores threads on a few cores
// each wake for 1/N of the rows and cost more than they serve (docs/models.md). A model's own
// "workers" in --model-config still wins.
RuntimeOptions SharedWorkers(RuntimeOptions options, size_t models) {
  if (options.workers != 0 || models < 2) return options;
  options.workers = std::max<size_t>(1, ServingThreadCount(options) / models);
  return options;
}

}  // namespace

int RunModelSet(const CliOptions& o, InputFiles& inputs, const std::function<int()>& stop_signal,
                int64_t started_unix_ms) {
  const auto stop_requested = [&stop_signal] { return stop_signal() != 0; };
  const auto wall_start = Clock::now();
  // Shared threads: o.runtime.workers is the number of serving threads (0: one per core), and
  // each model has a worker on every one of them.
  const bool shared = SharedThreads(o);
  if (shared && o.log_level <= LogLevel::kInfo) {
    const size_t n = ServingThreadCount(o.runtime);
    std::fprintf(stderr, "tfjs-run: %zu models on %zu shared serving thread%s (--model-threads)\n", o.models.size(), n,
                 n == 1 ? "" : "s");
  }
  const RuntimeOptions defaults = shared ? o.runtime : SharedWorkers(o.runtime, o.models.size());
  ModelSet models(defaults, shared ? ModelSet::Threads::kShared : ModelSet::Threads::kPerModel);
  std::unique_ptr<ModelLayoutWatcher> layout;
  const WatchOptions watch = o.watch.value_or(WatchOptions{});
  for (const ModelConfigEntry& e : o.models) {
    try {
      AddConfiguredModel(models, e, watch, defaults);
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
  std::optional<StopReloadsOnSignal> stop_reloads;
  if (o.watch) stop_reloads.emplace(stop_requested, [&models] { models.StopReloading(); });
  ModelSetRun run(models, o, inputs);
  int exit_code = run.Run(stop_requested);
  stop_reloads.reset();
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
  if (const int sig = stop_signal()) {
    std::fprintf(stderr, "tfjs-run: %s: stopped reading input after %s; every row read is accounted for\n",
                 sig == SIGINT ? "SIGINT" : "SIGTERM", inputs.Where(run.last_line()).c_str());
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
