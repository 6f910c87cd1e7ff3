// Splits the CLI's input into records: read(2) over a large buffer, never a huge allocation. A
// record is one line, or for CSV several when a quoted field holds newlines (csv_record.h).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csv_record.h"

namespace tfjs_run::cli {

struct LineReaderOptions {
  // A longer record comes back as `overlong` (the reader skips to its end).
  size_t max_line_bytes = 16u << 20;
  // CSV: a newline inside a quoted field (RFC 4180) does not end the record. 0: every newline
  // ends one (JSON lines).
  char csv_delimiter = 0;
  // Called before a read that would block (a pipe or terminal with nothing more to read yet), so
  // what was read can be answered while the input is idle.
  std::function<void()> before_blocking_read;
  // Polled before each read and while one blocks: true ends the input there, as if it had ended.
  std::function<bool()> stop_reading;
  // Called at the end of each input: the descriptor of the next one (input files, read in
  // order), or -1 when there is none. A record never spans two inputs: each one's last line ends
  // it, even without a newline, and a quote left open at its end is an open quote there.
  std::function<int()> next_input;
};

class LineReader {
 public:
  struct Line {
    std::string_view text;  // valid until the next call; empty when overlong
    uint64_t number = 0;    // 1-based, of the record's first line
    bool overlong = false;
    bool blank = false;     // only spaces, tabs or a carriage return: carries no row
    bool open_quote = false;  // overlong, or ended by the input, inside a quoted field
    bool starts_later_input = false;  // the first line of an input after the first
  };

  // Reads from descriptor `fd` (not owned), then from what options.next_input gives; fd -1: the
  // first input comes from next_input too.
  LineReader(int fd, LineReaderOptions options);
  LineReader(std::FILE* in, LineReaderOptions options) : LineReader(fileno(in), std::move(options)) {}

  // The next record, blank ones too (each input line has its answer, a blank one a blank line).
  // A UTF-8 byte order mark on line 1 is dropped. False at the end of input.
  bool Next(Line& line);

  uint64_t line() const { return line_; }  // number of the last line read (blank ones too)
  // errno of a read that failed (EIO, EISDIR): the input ended there. 0 if none did.
  int read_error() const { return read_error_; }
  size_t max_line_bytes() const { return options_.max_line_bytes; }

 private:
  bool ReadLine(std::string_view& line, bool& overlong);  // one physical line
  bool ReadRecordRest(Line& line);  // the lines of a record after its first, inside quotes
  bool Fill();  // one read(2); false at the end of the current input
  bool NextInput();  // moves to the next input; false if none
  bool MayHoldQuote(std::string_view text);  // false: `text` surely holds no '"'

  int fd_;
  LineReaderOptions options_;
  uint64_t input_first_line_ = 1;  // the number of the current input's first line
  bool in_record_ = false;         // reading a quoted record's further lines: stay in this input
  int read_error_ = 0;
  bool stopped_ = false;  // options.stop_reading ended the input
  std::unique_ptr<char[]> buffer_;  // kReadChunk bytes
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::string carry_;        // a line split across reads
  bool carry_used_ = false;  // the last line pointed into carry_; clear it before the next read
  bool overlong_ = false;    // the line being read is past max_line_bytes: skip to its end
  uint64_t line_ = 0;
  std::optional<CsvQuoteState> quotes_;  // CSV only
  // Where the next '"' in the buffer is (end_ if none), found once per stretch of lines rather
  // than once per line; npos: not known since the last read.
  size_t next_quote_ = std::string::npos;
  std::string record_;  // a record of several lines, joined
};

// The error for an overlong record, naming --max-line-bytes (and the quote, if one never closed).
std::string OverlongMessage(size_t max_line_bytes, bool open_quote);

}  // namespace tfjs_run::cli
