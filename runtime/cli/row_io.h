// Row input and output for the CLI: numeric CSV and JSON lines in, CSV or JSON lines out.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "line_reader.h"
#include "row_parser.h"
#include "tfjs_run/dense_matrix.h"

namespace tfjs_run::cli {

enum class OutputFormat { kCsv, kJsonLines };

struct RowReaderOptions {
  InputFormat format = InputFormat::kCsv;
  char delimiter = ',';
  HeaderMode header = HeaderMode::kAuto;
  std::string columns;  // see RowParserOptions
  std::vector<std::string> feature_names;  // see RowParserOptions; the CLI takes the bundle's
  bool allow_nonfinite = false;            // see RowParserOptions
  size_t max_line_bytes = 16u << 20;  // see LineReaderOptions
  // For a live stream or several inputs (the CLI's pipeline); see LineReaderOptions.
  std::function<void()> before_blocking_read;
  std::function<bool()> stop_reading;
  // At the end of each input: the descriptor of the next one, or -1 when there is none.
  // `lines_before`: the lines read so far (InputFiles::Next).
  std::function<int(uint64_t lines_before)> next_input;
};

// The parser's part of the reader's options.
RowParserOptions ParserOptions(const RowReaderOptions& options);

// Reads rows from the input, in two steps: NextRecord splits it into records and settles the
// parser on the first ones (the header, the field count), on one thread; ParseRecord turns a
// record into a row, and is const, so the CLI's pipeline runs it on many threads (pipeline.h).
// Next does both, one row at a time.
class RowReader {
 public:
  enum class Status { kRow, kEnd, kBadRow };

  // A record that is not a header: a row to parse, or a blank line.
  struct Record {
    std::string_view text;  // valid until the next call; empty when overlong
    uint64_t line = 0;      // 1-based, of the record's first line, counted over every input
    bool blank = false;     // carries no row (the CLI answers it with a blank line)
    bool overlong = false;  // longer than max_line_bytes: a bad row
    bool open_quote = false;  // overlong, or ended by its input, inside a quoted field
  };

  // Reads from descriptor `fd` (not owned), then from what options.next_input gives; fd -1: the
  // first input comes from next_input too. Throws std::invalid_argument for a bad --columns spec.
  RowReader(int fd, RowReaderOptions options);
  RowReader(std::FILE* in, RowReaderOptions options) : RowReader(fileno(in), std::move(options)) {}
  RowReader(const RowReader&) = delete;  // the line reader's hooks point at it
  RowReader& operator=(const RowReader&) = delete;

  // Reads the next data row into `values` (its feature columns, in order); blank lines are passed
  // over. kBadRow fills `error`; reading can go on with the next line.
  Status Next(std::vector<float>& values, RowError& error);

  // The next record, blank ones too; a header is passed over (the first input's, and a later
  // input's first line equal to it: files that are parts of one table). False at the end.
  bool NextRecord(Record& record);
  // Parses a record NextRecord returned (its text may point into a copy) with a parser() the
  // reader gave at or after that call, on any thread. A bad row leaves `values` as it was and
  // fills `error`. `ignored`: see RowParser::Parse.
  static bool ParseRecord(const RowParser& parser, size_t max_line_bytes, const Record& record,
                          std::vector<float>& values, RowError& error, std::string* ignored = nullptr);

  // The parser as it stands: unsettled, then (a new one, once) settled for good.
  std::shared_ptr<const RowParser> parser() const { return snapshot_; }
  size_t max_line_bytes() const { return lines_.max_line_bytes(); }
  uint64_t line() const { return line_; }  // line of the row last returned
  uint64_t lines_read() const { return lines_.line(); }  // the last line read, blank ones too
  int read_error() const { return lines_.read_error(); }  // see LineReader
  const std::vector<std::string>& header() const { return parser_.header(); }  // empty if none
  bool header_guessed() const { return parser_.header_guessed(); }
  // The first input's header line as read, if it has one: other parsers of the same input settle on it.
  const std::optional<std::string>& header_text() const { return header_text_; }

 private:
  static LineReaderOptions LineOptions(RowReaderOptions& options, RowReader* self);

  LineReader lines_;
  RowParser parser_;
  std::shared_ptr<const RowParser> snapshot_;
  std::optional<std::string> header_text_;  // the first input's header line, if it has one
  uint64_t line_ = 0;
};

// Reads a whole numeric CSV file (no header) into a matrix, for tests and benchmark drivers.
// Throws std::runtime_error naming the file, line and column of the first bad row.
DenseMatrix ReadCsvFile(const std::string& path);

// Appends one output row: CSV or JSON lines, with `version` (if not null) as a last CSV column or
// {"prediction": [...], "version": v}. Floats in the shortest form that round-trips float32.
void AppendRow(std::string& out, OutputFormat format, char delimiter, const float* values, size_t count,
               const std::string* version);


// Appends the shortest round-trip text of `v` ("nan", "inf", "-inf" for non-finite).
void AppendFloat(std::string& out, float v);

}  // namespace tfjs_run::cli
