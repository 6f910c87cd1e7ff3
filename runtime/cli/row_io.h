// Row input and output for the CLI: numeric CSV and JSON lines in, CSV or JSON lines out.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <functional>
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
};

// The parser's part of the reader's options.
RowParserOptions ParserOptions(const RowReaderOptions& options);

// Reads rows one at a time on one thread: a LineReader and a RowParser together. (The CLI uses
// the two apart, so that parsing runs in parallel: see pipeline.h.)
class RowReader {
 public:
  enum class Status { kRow, kEnd, kBadRow };

  // Reads from `in` (not owned). Throws std::invalid_argument for a bad --columns spec.
  RowReader(std::FILE* in, RowReaderOptions options);

  // Reads the next data row into `values` (its feature columns, in order); blank lines are passed
  // over. kBadRow fills `error`; reading can go on with the next line.
  Status Next(std::vector<float>& values, RowError& error);

  uint64_t line() const { return line_; }                   // line of the row last returned
  const std::vector<std::string>& header() const { return parser_.header(); }  // empty if none
  bool header_guessed() const { return parser_.header_guessed(); }

 private:
  LineReader lines_;
  RowParser parser_;
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
