#include "line_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tfjs_run::cli {

namespace {
constexpr size_t kReadChunk = 1 << 20;
constexpr int kStopPollMs = 100;

bool Blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}
}  // namespace

LineReader::LineReader(int fd, LineReaderOptions options)
    : fd_(fd), options_(std::move(options)), buffer_(new char[kReadChunk]),  // not zeroed: read(2) fills it
      eof_(fd < 0) {  // no input yet: the first comes from next_input
  if (options_.csv_delimiter != 0) quotes_.emplace(options_.csv_delimiter);
}

bool LineReader::Next(Line& line) {
  std::string_view text;
  bool overlong = false;
  if (!ReadLine(text, overlong)) return false;
  const bool first_of_input = line_ == input_first_line_;
  if (first_of_input && text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM
  line = Line{text, line_, overlong};
  line.starts_later_input = first_of_input && line_ > 1;
  line.blank = !overlong && Blank(text);
  // An overlong line's text is gone, and with it its quotes: it ends its record.
  if (!quotes_ || overlong || line.blank || !MayHoldQuote(text)) return true;  // a record starts outside quotes
  quotes_->ScanLine(text);
  return !quotes_->in_quotes() || ReadRecordRest(line);
}

bool LineReader::MayHoldQuote(std::string_view text) {
  const char* base = buffer_.get();
  if (text.data() < base || text.data() + text.size() > base + end_) return true;  // joined in carry_
  const size_t from = static_cast<size_t>(text.data() - base);
  if (next_quote_ == std::string::npos || next_quote_ < from) {
    const void* q = std::memchr(base + from, '"', end_ - from);
    next_quote_ = q ? static_cast<size_t>(static_cast<const char*>(q) - base) : end_;
  }
  return next_quote_ < from + text.size();
}

// A quoted field holds a newline: the record goes on until the quote closes, the input ends, or
// it grows past max_line_bytes (then it ends there, so one stray quote costs one bad row, not the
// rest of the input).
bool LineReader::ReadRecordRest(Line& line) {
  record_.assign(line.text);  // line.text points into buffers the next read reuses
  in_record_ = true;
  for (;;) {
    std::string_view text;
    bool overlong = false;
    if (!ReadLine(text, overlong)) {  // this input ended inside the quote
      quotes_->Reset();
      line.open_quote = true;
      break;
    }
    if (overlong || record_.size() + 1 + text.size() > options_.max_line_bytes) {
      in_record_ = false;
      quotes_->Reset();
      line.overlong = true;
      line.open_quote = true;
      line.text = std::string_view();
      return true;
    }
    record_ += '\n';
    record_.append(text);
    quotes_->ScanLine(text);
    if (!quotes_->in_quotes()) break;
  }
  in_record_ = false;
  line.text = record_;
  return true;
}

std::string OverlongMessage(size_t max_line_bytes, bool open_quote) {
  return "line longer than " + std::to_string(max_line_bytes) + " bytes (--max-line-bytes)" +
         (open_quote ? ": a quoted field opened on it does not close (a stray quote?)" : "");
}

bool LineReader::ReadLine(std::string_view& line, bool& overlong) {
  if (carry_used_) {
    carry_.clear();
    carry_used_ = false;
  }
  overlong = false;
  for (;;) {
    const char* start = buffer_.get() + begin_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    if (nl) {
      const size_t len = static_cast<size_t>(nl - start);
      begin_ += len + 1;
      ++line_;
      if (overlong_ || carry_.size() + len > options_.max_line_bytes) {
        overlong_ = false;
        carry_.clear();
        line = std::string_view();
        overlong = true;
        return true;
      }
      if (carry_.empty()) {
        line = std::string_view(start, len);
      } else {
        carry_.append(start, len);
        line = carry_;
        carry_used_ = true;
      }
      return true;
    }
    // A line split across reads; past the limit, keep only the fact that it is too long.
    if (!overlong_ && carry_.size() + (end_ - begin_) > options_.max_line_bytes) {
      overlong_ = true;
      std::string().swap(carry_);
    }
    if (!overlong_) carry_.append(start, end_ - begin_);
    begin_ = end_ = 0;
    if (eof_ || !Fill()) {
      if (overlong_) {
        overlong_ = false;
        ++line_;
        line = std::string_view();
        overlong = true;
        return true;
      }
      if (carry_.empty()) {
        if (in_record_ || !NextInput()) return false;
        continue;
      }
      line = carry_;  // the input's last line, without a newline
      carry_used_ = true;
      ++line_;
      return true;
    }
  }
}

bool LineReader::NextInput() {
  if (!options_.next_input || read_error_ != 0 || stopped_) return false;
  const int fd = options_.next_input();
  if (fd < 0) return false;
  fd_ = fd;
  eof_ = false;
  begin_ = end_ = 0;
  input_first_line_ = line_ + 1;
  return true;
}

bool LineReader::Fill() {
  const int fd = fd_;
  // read(2), not fread: fread waits to fill the whole buffer, which would hold back rows that
  // arrive slowly on a pipe (a stream that runs for days, or --watch).
  if (options_.stop_reading && options_.stop_reading()) {  // a file never blocks: ask before each read too
    stopped_ = eof_ = true;
    return false;
  }
  pollfd ready{fd, POLLIN, 0};
  if (::poll(&ready, 1, 0) == 0) {
    if (options_.before_blocking_read) options_.before_blocking_read();
    if (options_.stop_reading) {
      for (;;) {
        if (options_.stop_reading()) {
          stopped_ = eof_ = true;
          return false;
        }
        ready.revents = 0;
        const int n = ::poll(&ready, 1, kStopPollMs);
        if (n != 0 && !(n < 0 && errno == EINTR)) break;
      }
    }
  }
  ssize_t n;
  do {
    n = ::read(fd, buffer_.get(), kReadChunk);
  } while (n < 0 && errno == EINTR);
  end_ = n > 0 ? static_cast<size_t>(n) : 0;
  next_quote_ = std::string::npos;
  if (n < 0) read_error_ = errno;
  if (n <= 0) eof_ = true;
  return n > 0;
}

}  // namespace tfjs_run::cli
