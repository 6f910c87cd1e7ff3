// RFC 4180 quoting for the CLI's CSV input, in one place: where a record ends (a quoted field may
// hold newlines, so a record can span several lines) and how it splits into fields (a quoted field
// may hold the delimiter, doubled quotes and newlines).
//
// A quote opens a quoted field only at the start of a field (after spaces or tabs, which are
// dropped); elsewhere it is an ordinary character, as in Python's csv module, so a stray quote in
// a text column cannot swallow the lines after it. After the closing quote, only spaces or tabs
// may come before the delimiter.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tfjs_run::cli {

// Follows the quoting of a record across the physical lines it is read in.
class CsvQuoteState {
 public:
  explicit CsvQuoteState(char delimiter) : delimiter_(delimiter) {}

  // Scans one physical line (without its newline). Afterwards in_quotes() tells whether the
  // newline that ends it is inside a quoted field, so the record goes on on the next line.
  void ScanLine(std::string_view line);
  bool in_quotes() const { return state_ == State::kQuoted; }
  void Reset() { state_ = State::kFieldStart; }

 private:
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };
  char delimiter_;
  State state_ = State::kFieldStart;
};

// Why a record could not be split: the 1-based field and what is wrong with it.
struct CsvSplitError {
  size_t field = 0;
  std::string message;
};

// Splits one record into its fields. Unquoted fields are views into `record`; a quoted field is
// a view into `scratch` when it held doubled quotes (`scratch` is reserved up front, so views into
// it stay valid). False for malformed quoting, with `error` filled.
bool SplitCsvRecord(std::string_view record, char delimiter, std::vector<std::string_view>& fields,
                    std::string& scratch, CsvSplitError& error);

}  // namespace tfjs_run::cli
