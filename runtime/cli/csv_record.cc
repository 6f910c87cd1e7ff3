#include "csv_record.h"

#include <cstring>

namespace tfjs_run::cli {

namespace {
// Spaces and tabs around a quoted field are dropped, unless they are the delimiter.
bool Padding(char c, char delimiter) { return (c == ' ' || c == '\t') && c != delimiter; }
}  // namespace

void CsvQuoteState::ScanLine(std::string_view line) {
  // Most lines hold no quote: outside a quoted field, such a line ends its record.
  if (state_ != State::kQuoted && std::memchr(line.data(), '"', line.size()) == nullptr) {
    state_ = State::kFieldStart;
    return;
  }
  for (char c : line) {
    switch (state_) {
      case State::kFieldStart:
        if (c == '"') state_ = State::kQuoted;
        else if (c != delimiter_ && !Padding(c, delimiter_)) state_ = State::kUnquoted;
        break;
      case State::kUnquoted:
        if (c == delimiter_) state_ = State::kFieldStart;
        break;
      case State::kQuoted:
        if (c == '"') state_ = State::kQuoteInQuoted;
        break;
      case State::kQuoteInQuoted:  // the quote before was a closing one, unless this one doubles it
        state_ = c == '"' ? State::kQuoted : c == delimiter_ ? State::kFieldStart : State::kUnquoted;
        break;
    }
  }
  // A newline inside a quoted field belongs to it; any other ends the record.
  if (state_ != State::kQuoted) state_ = State::kFieldStart;
}

bool SplitCsvRecord(std::string_view record, char delimiter, std::vector<std::string_view>& fields,
                    std::string& scratch, CsvSplitError& error) {
  fields.clear();
  scratch.clear();
  if (scratch.capacity() < record.size()) scratch.reserve(record.size());  // views into it must stay valid
  const size_t n = record.size();
  size_t i = 0;
  for (;;) {
    size_t j = i;
    while (j < n && Padding(record[j], delimiter)) ++j;
    if (j == n || record[j] != '"') {  // unquoted: up to the next delimiter, as it is
      const size_t d = record.find(delimiter, i);
      fields.push_back(record.substr(i, d == std::string_view::npos ? std::string_view::npos : d - i));
      if (d == std::string_view::npos) return true;
      i = d + 1;
      continue;
    }
    const size_t content = ++j;
    bool doubled = false;
    for (;;) {
      const size_t q = record.find('"', j);
      if (q == std::string_view::npos) {
        error = {fields.size() + 1, "a quoted field that is never closed"};
        return false;
      }
      if (q + 1 < n && record[q + 1] == '"') {
        doubled = true;
        j = q + 2;
        continue;
      }
      j = q;
      break;
    }
    std::string_view value = record.substr(content, j - content);
    if (doubled) {
      const size_t at = scratch.size();
      for (size_t k = 0; k < value.size(); ++k) {
        scratch += value[k];
        if (value[k] == '"') ++k;  // the second of a doubled pair
      }
      value = std::string_view(scratch).substr(at);
    }
    ++j;  // past the closing quote
    while (j < n && (Padding(record[j], delimiter) || (record[j] == '\r' && j + 1 == n))) ++j;
    if (j < n && record[j] != delimiter) {
      error = {fields.size() + 1, "text after the closing quote of a quoted field"};
      return false;
    }
    fields.push_back(value);
    if (j == n) return true;
    i = j + 1;
  }
}

}  // namespace tfjs_run::cli
