#include "pipeline.h"

#include "messages.h"

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tfjs_run::cli {

namespace {
using Clock = std::chrono::steady_clock;
constexpr size_t kChunkRowsMin = 1024;     // rows a chunk gathers at least (several small batches)
constexpr size_t kChunkBytes = 4u << 20;   // and at most this much text, whatever the row count
constexpr size_t kMaxWindow = 64;
constexpr uint64_t kNoStop = std::numeric_limits<uint64_t>::max();
// A chunk's slots: a parsed row's index, or one of these.
constexpr int64_t kRejected = -1;
constexpr int64_t kBlank = -2;

std::string ErrorText(const std::exception& e) {
  std::string text = e.what();
  if (auto* te = dynamic_cast<const Error*>(&e); te && !te->js_stack().empty()) text += "\n" + te->js_stack();
  return text;
}
}  // namespace

// A run of input lines, and what became of them.
struct Chunk {
  struct Line {
    size_t offset;             // where its text is in `text` (record.text pointed into the reader's buffer)
    RowReader::Record record;
  };
  uint64_t seq = 0;
  std::shared_ptr<const RowParser> parser;
  std::string text;
  std::vector<Line> lines;
  size_t blank_lines = 0;

  // Filled by the pool thread that processes it.
  bool skipped = false;   // behind a fatal error found in an earlier chunk: not processed
  std::string out;        // output lines
  std::string messages;   // stderr lines: rows skipped or dropped
  RowCounts counts;
  PipelineResult fatal = PipelineResult::kOk;
  std::string fatal_message;
};

class Pipeline::Impl {
 public:
  Impl(Runtime& runtime, PipelineOptions options)
      : runtime_(runtime), o_(options), info_(runtime.info()),
        window_(o_.window ? o_.window : std::min(kMaxWindow, 2 * runtime.workers() + 2)),
        chunk_rows_(o_.batch_size * std::max<size_t>(1, kChunkRowsMin / std::max<size_t>(1, o_.batch_size))) {
    window_ = std::clamp<size_t>(window_, 1, kMaxWindow);
  }

  PipelineResult Run(InputFiles& inputs, const RowReaderOptions& reader_options, std::FILE* out) {
    inputs_ = &inputs;
    out_ = out;
    RowReaderOptions options = reader_options;
    if (options.feature_names.empty()) options.feature_names = info_.feature_names;
    options.before_blocking_read = [this] {
      if (!current_->lines.empty()) Dispatch();
    };
    options.stop_reading = [this] {
      return stop_seq_.load() != kNoStop || (o_.stop_requested && o_.stop_requested());
    };
    options.next_input = [&inputs](uint64_t lines_before) { return inputs.Next(lines_before); };
    RowReader reader(-1, std::move(options));  // throws for a bad --columns, before any thread
    max_line_bytes_ = reader.max_line_bytes();
    snapshot_ = reader.parser();
    current_ = std::make_unique<Chunk>();
    for (size_t i = 0; i < window_; ++i) threads_.emplace_back([this] { Serve(); });

    RowReader::Record record;
    while (stop_seq_.load() == kNoStop && reader.NextRecord(record)) {
      last_line_ = record.line;
      if (reader.parser() != snapshot_) Settled(reader.parser());
      if (record.blank) {
        ++current_->blank_lines;
      } else if (rows_seen_++ == 0) {
        first_row_time_ = Clock::now();
      }
      current_->lines.push_back({current_->text.size(), record});
      current_->text.append(record.text);
      if (current_->lines.size() >= chunk_rows_ || current_->text.size() >= kChunkBytes) Dispatch();
    }
    last_line_ = reader.lines_read();
    read_error_ = reader.read_error();
    if (!current_->lines.empty()) Dispatch();
    {
      std::unique_lock<std::mutex> lock(mu_);
      closing_ = true;
      work_cv_.notify_all();
      space_cv_.wait(lock, [this] { return in_flight_ == 0; });
    }
    for (auto& t : threads_) t.join();
    threads_.clear();
    return result_;
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

  RowCounts counts() const {
    std::lock_guard<std::mutex> lock(commit_mu_);
    return counts_;
  }
  uint64_t last_line() const { return last_line_; }
  int read_error() const { return read_error_; }
  int output_error() const {
    std::lock_guard<std::mutex> lock(commit_mu_);
    return output_error_;
  }
  Clock::time_point first_row_time() const { return first_row_time_; }

 private:
  // What became of one row that was parsed: answered by a prediction, rejected, or neither (in
  // fail mode, behind the batch that failed).
  struct Answer {
    const float* row = nullptr;
    size_t cols = 0;
    const std::string* version = nullptr;
    bool rejected = false;
  };

  // The parser is set up: later chunks use it; what it decided about the header is said once.
  void Settled(std::shared_ptr<const RowParser> settled) {
    snapshot_ = std::move(settled);
    const RowParser& parser = *snapshot_;
    if (parser.header_guessed() && o_.log_level <= LogLevel::kInfo) {
      WriteAll(stderr, "tfjs-run: " + inputs_->Where(1) + " was taken as a header (no field of it is a number; "
                       "--no-header reads it as data)\n");
    }
    if (!parser.ignored_columns().empty() && o_.log_level <= LogLevel::kWarn) {
      WriteAll(stderr, "tfjs-run: warning: the header's column(s) " + Printable(parser.ignored_columns()) +
                           " are not features of the bundle: ignored\n");
    }
  }

  // Hands the current chunk to the pool, waiting while the window is full.
  void Dispatch() {
    std::unique_lock<std::mutex> lock(mu_);
    space_cv_.wait(lock, [this] { return in_flight_ < window_; });
    current_->seq = next_dispatch_++;
    current_->parser = snapshot_;
    queue_.push_back(std::move(current_));
    ++in_flight_;
    work_cv_.notify_one();
    current_ = std::make_unique<Chunk>();
  }

  void Serve() {
    for (;;) {
      std::unique_ptr<Chunk> chunk;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [this] { return !queue_.empty() || closing_; });
        if (queue_.empty()) return;
        chunk = std::move(queue_.front());
        queue_.pop_front();
      }
      Process(*chunk);
      Commit(std::move(chunk));
    }
  }

  void StopAfter(uint64_t seq) {
    uint64_t current = stop_seq_.load();
    while (seq < current && !stop_seq_.compare_exchange_weak(current, seq)) {
    }
  }

  // A chunk's rows, parsed.
  struct Parsed {
    std::vector<float> values;
    std::vector<uint64_t> row_lines;  // the line of each parsed row
    std::vector<int64_t> slots;       // per line taken: its parsed row, kRejected or kBlank
  };

  void Process(Chunk& c) {
    if (c.seq > stop_seq_.load()) {
      c.skipped = true;
      return;
    }
    const Parsed parsed = Parse(c);
    std::vector<Answer> answers(parsed.row_lines.size());
    std::deque<Prediction> results;  // stable addresses: answers point into them
    Predict(c, parsed, answers, results);
    Format(c, parsed.slots, answers, results);
  }

  // Parses the chunk's lines; a bad row is reported, or with --on-error fail, ends the chunk there.
  Parsed Parse(Chunk& c) {
    const bool fail = o_.on_error == OnError::kFail;
    const char* verb = o_.on_error == OnError::kSkip ? "skipped" : "dropped";
    Parsed parsed;
    std::vector<float>& values = parsed.values;
    values.reserve(c.lines.size() * static_cast<size_t>(std::max<int64_t>(1, info_.input_cols)));
    RowError error;
    std::string ignored_keys;
    for (const Chunk::Line& line : c.lines) {
      RowReader::Record record = line.record;
      record.text = std::string_view(c.text).substr(line.offset, record.text.size());
      if (record.blank) {
        ++c.counts.blank;
        parsed.slots.push_back(kBlank);
        continue;
      }
      ++c.counts.read;
      const size_t before = values.size();
      bool ok = RowReader::ParseRecord(*c.parser, max_line_bytes_, record, values, error,
                                       warned_ignored_keys_.load(std::memory_order_relaxed) ? nullptr : &ignored_keys);
      if (!ignored_keys.empty()) {
        if (!warned_ignored_keys_.exchange(true) && o_.log_level <= LogLevel::kWarn) {
          c.messages += "tfjs-run: warning: " + inputs_->Where(record.line) + ": ignored key(s) " +
                        Printable(ignored_keys) + ", not features of the bundle (said once; later lines are not checked)\n";
        }
        ignored_keys.clear();
      }
      if (ok && info_.input_cols >= 0 && values.size() - before != static_cast<size_t>(info_.input_cols)) {
        // The bundle cannot take it: bad input like a malformed row, with its line (not a
        // prediction failure of the whole batch it would have joined).
        error = {record.line, 0, "the row has " + std::to_string(values.size() - before) + " fields; the bundle '" +
                                     info_.name + "' takes " + std::to_string(info_.input_cols)};
        values.resize(before);
        ok = false;
      }
      if (!ok) {
        ++c.counts.rejected;
        if (fail) {
          c.fatal = PipelineResult::kBadInput;
          c.fatal_message = "tfjs-run: error: " + Printable(error.ToString(inputs_->Where(error.line))) + "\n";
          StopAfter(c.seq);
          break;  // rows after it are not read: the run stops at this line
        }
        c.messages += std::string("tfjs-run: ") + verb + " " + Printable(error.ToString(inputs_->Where(error.line))) + "\n";
        parsed.slots.push_back(kRejected);
        continue;
      }
      parsed.slots.push_back(static_cast<int64_t>(parsed.row_lines.size()));
      parsed.row_lines.push_back(record.line);
    }
    return parsed;
  }

  // Predicts the parsed rows in --batch-size batches and fills their answers.
  void Predict(Chunk& c, const Parsed& parsed, std::vector<Answer>& answers, std::deque<Prediction>& results) {
    const std::vector<float>& values = parsed.values;
    const std::vector<uint64_t>& row_lines = parsed.row_lines;
    const size_t rows = row_lines.size();
    const size_t cols = rows ? values.size() / rows : 0;
    const bool fail = o_.on_error == OnError::kFail;
    // Every batch of the chunk in flight at once; then each answered in order.
    std::vector<std::future<Prediction>> futures;
    for (size_t from = 0; from < rows; from += o_.batch_size) {
      const size_t n = std::min(o_.batch_size, rows - from);
      try {
        futures.push_back(runtime_.SubmitVersioned(DenseMatrixView(values.data() + from * cols, n, cols)));
      } catch (const std::exception&) {  // refused before queueing (shape, shutdown): answered in order below
        std::promise<Prediction> refused;
        refused.set_exception(std::current_exception());
        futures.push_back(refused.get_future());
      }
    }
    bool batch_failed = false;
    for (size_t b = 0; b < futures.size(); ++b) {
      const size_t from = b * o_.batch_size, n = std::min(o_.batch_size, rows - from);
      if (batch_failed) {  // fail mode, behind the batch that failed: wait, and count as not processed
        try { futures[b].get(); } catch (...) {}
        c.counts.unprocessed += n;
        continue;
      }
      try {
        Answered(results.emplace_back(futures[b].get()), from, answers);
      } catch (const std::exception& e) {
        if (fail) {
          batch_failed = true;
          c.counts.rejected += n;
          // It comes before any bad row found later in the chunk: its error is the run's.
          c.fatal_message = "tfjs-run: error: " + inputs_->Range(row_lines[from], row_lines[from + n - 1]) + ": " +
                            ErrorText(e) + "\n" + c.fatal_message;
          c.fatal = PipelineResult::kModelFailed;
          StopAfter(c.seq);
          continue;
        }
        // Find the rows that fail by bisection: halves that succeed are answered at once, so k bad
        // rows among n cost about 2k·log2(n) calls, not n. Bounded in time: past the budget, rows
        // not yet answered are rejected, each by its line.
        Bisect(c, values, cols, row_lines, from, from + n, e, Clock::now() + o_.retry_budget, answers, results);
      }
    }
  }

  // The chunk's output, in line order.
  void Format(Chunk& c, const std::vector<int64_t>& slots, const std::vector<Answer>& answers,
              const std::deque<Prediction>& results) {
    std::vector<float> nan_row(results.empty() ? std::max<int64_t>(0, info_.output_cols) : results.front().output.cols(),
                               std::numeric_limits<float>::quiet_NaN());
    static const std::string kNoVersion;
    const bool keep_places = o_.on_error == OnError::kSkip;
    c.out.reserve(slots.size() * (nan_row.size() * 12 + 2));
    for (int64_t slot : slots) {
      if (slot == kBlank) {
        c.out += '\n';
        continue;
      }
      const Answer* a = slot >= 0 ? &answers[static_cast<size_t>(slot)] : nullptr;
      if (a && a->row) {
        AppendRow(c.out, o_.output_format, o_.output_delimiter, a->row, a->cols, o_.with_version ? a->version : nullptr);
        ++c.counts.predicted;
      } else if (!a || a->rejected) {
        if (keep_places) {
          AppendRow(c.out, o_.output_format, o_.output_delimiter, nan_row.data(), nan_row.size(),
                    o_.with_version ? &kNoVersion : nullptr);
        }
      } else {
        break;  // fail mode: nothing after the batch that failed is written
      }
    }
  }

  static void Answered(const Prediction& p, size_t from, std::vector<Answer>& answers) {
    for (size_t r = 0; r < p.output.rows(); ++r) {
      answers[from + r] = Answer{p.output.row(r).data(), p.output.cols(), &p.bundle_version, false};
    }
  }

  // Answers parsed rows [from, to) of a chunk whose prediction failed with `error`.
  void Bisect(Chunk& c, const std::vector<float>& values, size_t cols, const std::vector<uint64_t>& row_lines,
              size_t from, size_t to, const std::exception& error, Clock::time_point budget_end,
              std::vector<Answer>& answers, std::deque<Prediction>& results) {
    if (to - from == 1) {
      Reject(c, row_lines[from], error.what(), answers[from]);
      return;
    }
    const size_t mid = from + (to - from) / 2;
    for (auto [lo, hi] : {std::pair{from, mid}, std::pair{mid, to}}) {
      if (Clock::now() >= budget_end) {
        for (size_t r = lo; r < hi; ++r) {
          Reject(c, row_lines[r],
                 "not retried: the --skip-retry-seconds budget for its batch ran out (the batch failed with: " +
                     std::string(error.what()) + ")",
                 answers[r]);
        }
        continue;
      }
      try {
        Answered(results.emplace_back(runtime_.PredictVersioned(DenseMatrixView(values.data() + lo * cols, hi - lo, cols))),
                 lo, answers);
      } catch (const std::exception& half_error) {
        Bisect(c, values, cols, row_lines, lo, hi, half_error, budget_end, answers, results);
      }
    }
  }

  void Reject(Chunk& c, uint64_t line, const std::string& why, Answer& answer) {
    c.messages += std::string("tfjs-run: ") + (o_.on_error == OnError::kSkip ? "skipped" : "dropped") + " " +
                  inputs_->Where(line) + ": " + Printable(why) + "\n";
    ++c.counts.rejected;
    answer.rejected = true;
  }

  // Writes finished chunks in input order; whichever thread completes the next one writes it.
  void Commit(std::unique_ptr<Chunk> chunk) {
    size_t released = 0;
    {
      std::lock_guard<std::mutex> lock(commit_mu_);
      ready_.emplace(chunk->seq, std::move(chunk));
      bool wrote = false;
      while (!ready_.empty() && ready_.begin()->first == next_commit_) {
        std::unique_ptr<Chunk> next = std::move(ready_.begin()->second);
        ready_.erase(ready_.begin());
        ++next_commit_;
        ++released;
        wrote = Write(*next) || wrote;
      }
      if (wrote && !output_failed_ && std::fflush(out_) != 0) OutputFailed();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_flight_ -= released;
    }
    space_cv_.notify_all();
  }

  // Under commit_mu_. The output cannot be written (EPIPE: the reader went away; ENOSPC, EIO):
  // stop reading at once, as after any fatal error; later chunks count as not processed.
  void OutputFailed() {
    if (output_failed_) return;
    output_error_ = errno;
    output_failed_ = true;
    stopped_ = true;
    result_ = PipelineResult::kOutputFailed;
    StopAfter(next_commit_ - 1);  // the chunk being written (Commit counted it already)
  }

  // Under commit_mu_. Returns whether it wrote output.
  bool Write(const Chunk& c) {
    if (stopped_ || c.skipped) {
      // Behind a fatal error: after a failed prediction or write, its rows were read and are not
      // processed; after bad input, the run stopped at that line and they count as not read.
      if (result_ != PipelineResult::kBadInput || !stopped_) {
        counts_.read += c.lines.size() - c.blank_lines;
        counts_.unprocessed += c.lines.size() - c.blank_lines;
      }
      return false;
    }
    counts_.read += c.counts.read;
    counts_.blank += c.counts.blank;
    counts_.predicted += c.counts.predicted;
    counts_.rejected += c.counts.rejected;
    counts_.unprocessed += c.counts.unprocessed;
    if (!c.messages.empty()) WriteAll(stderr, c.messages);
    bool wrote = false;
    if (!c.out.empty()) {
      wrote = true;
      if (std::fwrite(c.out.data(), 1, c.out.size(), out_) != c.out.size()) OutputFailed();
    }
    if (output_failed_) {
      // Its answers may be lost in part (the stream's buffer is gone too): none counts as written.
      counts_.unwritten += c.counts.predicted + c.counts.rejected;
      return wrote;
    }
    if (c.fatal != PipelineResult::kOk) {
      WriteAll(stderr, c.fatal_message);
      stopped_ = true;
      result_ = c.fatal;
    }
    return wrote;
  }

  Runtime& runtime_;
  const PipelineOptions o_;
  const BundleInfo info_;
  size_t window_;
  const size_t chunk_rows_;
  std::FILE* out_ = nullptr;
  size_t max_line_bytes_ = 0;

  InputFiles* inputs_ = nullptr;  // Where() is safe from the pool's threads
  // The reading thread's.
  std::unique_ptr<Chunk> current_;
  int read_error_ = 0;
  std::shared_ptr<const RowParser> snapshot_;
  uint64_t rows_seen_ = 0;
  std::atomic<uint64_t> last_line_{0};
  Clock::time_point first_row_time_ = Clock::now();

  // The hand-off to the pool.
  std::mutex mu_;
  std::condition_variable work_cv_, space_cv_;
  std::deque<std::unique_ptr<Chunk>> queue_;
  size_t in_flight_ = 0;  // dispatched and not yet written
  uint64_t next_dispatch_ = 0;
  bool closing_ = false;
  std::atomic<uint64_t> stop_seq_{kNoStop};  // the first chunk known to end the run
  std::atomic<bool> warned_ignored_keys_{false};
  std::vector<std::thread> threads_;

  // Writing, in order.
  mutable std::mutex commit_mu_;
  std::map<uint64_t, std::unique_ptr<Chunk>> ready_;
  uint64_t next_commit_ = 0;
  RowCounts counts_;
  PipelineResult result_ = PipelineResult::kOk;
  bool stopped_ = false;
  bool output_failed_ = false;
  int output_error_ = 0;  // errno of the failed write
};

Pipeline::Pipeline(Runtime& runtime, PipelineOptions options) : impl_(std::make_unique<Impl>(runtime, options)) {}
Pipeline::~Pipeline() = default;
PipelineResult Pipeline::Run(InputFiles& inputs, const RowReaderOptions& reader_options, std::FILE* out) {
  return impl_->Run(inputs, reader_options, out);
}
RowCounts Pipeline::counts() const { return impl_->counts(); }
uint64_t Pipeline::last_line() const { return impl_->last_line(); }
int Pipeline::output_error() const { return impl_->output_error(); }
int Pipeline::read_error() const { return impl_->read_error(); }
std::chrono::steady_clock::time_point Pipeline::first_row_time() const { return impl_->first_row_time(); }

}  // namespace tfjs_run::cli
