// libFuzzer target: the CLI's CSV and JSON-lines reader on arbitrary bytes. The first byte picks
// the format, the header mode and a --columns spec; the rest is the input. Every input must end
// in rows or bad rows with a line number, never a crash, a hang or an unbounded allocation.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "row_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tfjs_run::cli;
  if (size == 0) return 0;
  RowReaderOptions options;
  const uint8_t mode = data[0];
  options.format = (mode & 1) ? InputFormat::kJsonLines : InputFormat::kCsv;
  options.header = (mode & 6) == 0 ? HeaderMode::kAuto : (mode & 6) == 2 ? HeaderMode::kYes : HeaderMode::kNo;
  static const char* kColumns[] = {"", "0", "1-3", "a,b", "2,0", "x", "0-2,5", "b"};
  options.columns = kColumns[(mode >> 3) & 7];
  options.max_line_bytes = (mode & 0x40) ? 64 : 4096;
  // The reader uses read(2) on a descriptor: give it an in-memory file.
  const int fd = memfd_create("fuzz", 0);
  if (fd < 0) return 0;
  if (write(fd, data + 1, size - 1) != static_cast<ssize_t>(size - 1)) {
    close(fd);
    return 0;
  }
  lseek(fd, 0, SEEK_SET);
  std::FILE* in = fdopen(fd, "r");
  try {
    RowReader reader(in, options);
    std::vector<float> values;
    RowError error;
    for (int i = 0; i < 100000; ++i) {
      RowReader::Status st = reader.Next(values, error);
      if (st == RowReader::Status::kEnd) break;
      if (st == RowReader::Status::kBadRow && error.line == 0) __builtin_trap();  // every error names its line
    }
  } catch (const std::invalid_argument&) {
    // a bad --columns spec: refused up front
  }
  std::fclose(in);
  return 0;
}
