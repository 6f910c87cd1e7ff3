// The CLI's input: the files named after the bundle, read in order like cat ("-" is stdin; none
// means stdin). Knows which file each line came from, so messages say "b.csv line 7".
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace tfjs_run::cli {

class InputFiles {
 public:
  // Checks every name before a row is read: a file that does not exist, is a directory or cannot
  // be read throws std::runtime_error naming it. Empty `names`: stdin alone.
  explicit InputFiles(std::vector<std::string> names);
  ~InputFiles();
  InputFiles(const InputFiles&) = delete;
  InputFiles& operator=(const InputFiles&) = delete;

  // The descriptor of the next input, or -1 when there is none. `lines_before` is the number of
  // lines read from the inputs before it. A file that can no longer be opened ends the input
  // there: -1, and error() says why.
  int Next(uint64_t lines_before);
  const std::string& error() const { return error_; }  // "" unless a file could not be opened

  // Where line `line` (counted over all inputs, as the reader numbers them) is: "line 7" when
  // the input is one stream, "b.csv line 7" (its line within that file) when there are several.
  // Safe from any thread.
  std::string Where(uint64_t line) const;
  // "line 3-9" or "b.csv lines 3-9"; lines of two files are named with both ends.
  std::string Range(uint64_t first, uint64_t last) const;

 private:
  struct Opened {
    uint64_t lines_before;
    size_t index;
  };
  std::pair<const std::string*, uint64_t> Locate(uint64_t line) const;  // under mu_

  std::vector<std::string> names_;
  size_t next_ = 0;
  int fd_ = -1;  // the open file's, if not stdin
  std::string error_;
  mutable std::mutex mu_;
  std::vector<Opened> opened_;
};

}  // namespace tfjs_run::cli
