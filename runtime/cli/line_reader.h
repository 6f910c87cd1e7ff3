// Splits the CLI's input into lines: read(2) over a large buffer, never a huge allocation.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tfjs_run::cli {

struct LineReaderOptions {
  // A longer line comes back as `overlong` (the reader skips to the next newline).
  size_t max_line_bytes = 16u << 20;
  // Called before a read that would block (a pipe or terminal with nothing more to read yet), so
  // what was read can be answered while the input is idle.
  std::function<void()> before_blocking_read;
  // Polled while a read blocks: true ends the input there, as if it had ended.
  std::function<bool()> stop_reading;
};

class LineReader {
 public:
  struct Line {
    std::string_view text;  // valid until the next call; empty when overlong
    uint64_t number = 0;    // 1-based
    bool overlong = false;
  };

  // Reads from `in` (not owned).
  LineReader(std::FILE* in, LineReaderOptions options);

  // The next line that is not blank (spaces, tabs, a carriage return). A UTF-8 byte order mark
  // on line 1 is dropped. False at the end of input.
  bool Next(Line& line);

  uint64_t line() const { return line_; }  // number of the last line read (blank ones too)
  size_t max_line_bytes() const { return options_.max_line_bytes; }

 private:
  bool ReadLine(std::string_view& line, bool& overlong);
  bool Fill();  // one read(2); false at the end of input

  std::FILE* in_;
  LineReaderOptions options_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::string carry_;        // a line split across reads
  bool carry_used_ = false;  // the last line pointed into carry_; clear it before the next read
  bool overlong_ = false;    // the line being read is past max_line_bytes: skip to its end
  uint64_t line_ = 0;
};

}  // namespace tfjs_run::cli
