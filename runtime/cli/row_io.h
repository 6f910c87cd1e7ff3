// Row input and output for the CLI: numeric CSV and JSON lines in, CSV or JSON lines out.
// Parsing is by hand over a large read buffer (std::from_chars per field, no iostream per field).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_run/dense_matrix.h"

namespace tfjs_run::cli {

enum class InputFormat { kCsv, kJsonLines };
enum class OutputFormat { kCsv, kJsonLines };
enum class HeaderMode { kAuto, kYes, kNo };

struct RowReaderOptions {
  InputFormat format = InputFormat::kCsv;
  char delimiter = ',';
  HeaderMode header = HeaderMode::kAuto;
  // Which fields are features: comma-separated 0-based indices, inclusive ranges "1-13", or
  // header names (CSV with a header, or JSON-lines object keys). Empty: every field.
  std::string columns;
  // A longer line is a bad row (the reader skips to the next newline), never a huge allocation.
  size_t max_line_bytes = 16u << 20;
  // Called before a read that would block (the input is a pipe or terminal with nothing more
  // to read yet), so rows already read can be answered and flushed while the input is idle.
  std::function<void()> before_blocking_read;
};

// Limits on what the reader accepts, so no input can exhaust memory or the stack.
inline constexpr size_t kMaxColumnIndex = 1u << 20;  // --columns indices and ranges
inline constexpr int kMaxJsonDepth = 64;            // JSON-lines nesting

// Why a row was rejected. line is 1-based; column is the 1-based field index (0: whole row).
struct RowError {
  uint64_t line = 0;
  size_t column = 0;
  std::string message;
  std::string ToString() const;
};

class RowReader {
 public:
  enum class Status { kRow, kEnd, kBadRow };

  // Reads from `in` (not owned). Throws std::invalid_argument for a bad --columns spec.
  RowReader(std::FILE* in, RowReaderOptions options);

  // Reads the next data row into `values` (its feature columns, in order).
  // kBadRow fills `error`; reading can go on with the next line.
  Status Next(std::vector<float>& values, RowError& error);

  uint64_t line() const { return line_; }                   // line of the row last returned
  const std::vector<std::string>& header() const { return header_; }  // empty if none
  // Whether line 1 was taken as a header by guessing (--header auto: every field non-numeric).
  bool header_guessed() const { return header_guessed_; }
  // Number of features per row, once known (after the first row), else 0.
  size_t feature_count() const { return selected_.empty() ? expected_fields_ : selected_.size(); }

 private:
  // Reads the next line. A line longer than max_line_bytes comes back empty with `overlong` set.
  bool ReadLine(std::string_view& line, bool& overlong);
  Status ParseCsv(std::string_view line, std::vector<float>& values, RowError& error);
  Status ParseJson(std::string_view line, std::vector<float>& values, RowError& error);
  bool ResolveColumns(RowError& error);

  std::FILE* in_;
  RowReaderOptions options_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::string carry_;
  bool carry_used_ = false;  // line points into carry_; clear it before the next read
  uint64_t line_ = 0;
  bool first_line_ = true;
  bool header_guessed_ = false;
  bool overlong_ = false;  // the line being read is past max_line_bytes: skip to its end
  std::vector<std::string> header_;
  std::vector<std::string> json_keys_;
  std::vector<size_t> selected_;  // field indices; empty = all
  bool columns_resolved_ = false;
  // Set when --columns cannot apply to this input (a name it lacks, an index past its fields):
  // every row is then a bad row with this message, never read with the wrong columns.
  std::string columns_error_;
  size_t expected_fields_ = 0;    // fields per CSV line, fixed by the first line
  std::vector<std::string_view> fields_;
};

// Parses one number the way the CSV reader does (surrounding spaces and a leading '+' allowed).
std::optional<float> ParseFloat(std::string_view text);

// Reads a whole numeric CSV file (no header) into a matrix, for tests and benchmark drivers.
// Throws std::runtime_error naming the file, line and column of the first bad row.
DenseMatrix ReadCsvFile(const std::string& path);

// Writes output rows. Floats are printed in the shortest form that round-trips float32.
class RowWriter {
 public:
  RowWriter(std::FILE* out, OutputFormat format, char delimiter = ',');
  ~RowWriter();
  // `version`, if not null, is appended: a last CSV column, or {"prediction": [...], "version": v}.
  void Write(const float* values, size_t count, const std::string* version = nullptr);
  bool Flush();  // false on a write error

 private:
  std::FILE* out_;
  OutputFormat format_;
  char delimiter_;
  std::string pending_;
};

// Appends the shortest round-trip text of `v` ("nan", "inf", "-inf" for non-finite).
void AppendFloat(std::string& out, float v);

}  // namespace tfjs_run::cli
