// libFuzzer target: the CLI's CSV and JSON-lines reader on arbitrary bytes. The first byte picks
// the format, the header mode and a --columns spec; if its top bit is set, a second byte picks
// the bundle's feature names, --allow-nonfinite and the delimiter. The rest is the input. Every
// input must end in rows or bad rows with a line number, never a crash, a hang or an unbounded
// allocation; and the record splitter must agree with the field splitter about quotes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "csv_record.h"
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
  size_t skip = 1;
  if ((mode & 0x80) && size > 1) {
    const uint8_t more = data[1];
    static const std::vector<std::string> kNames[] = {{}, {"a", "b"}, {"b", "a", "c"}, {"x"}};
    options.feature_names = kNames[more & 3];
    options.allow_nonfinite = (more & 4) != 0;
    static const char kDelimiters[] = {',', ';', '\t', ' '};
    options.delimiter = kDelimiters[(more >> 3) & 3];
    skip = 2;
  }
  // The reader uses read(2) on a descriptor: give it an in-memory file.
  const int fd = memfd_create("fuzz", 0);
  if (fd < 0) return 0;
  if (write(fd, data + skip, size - skip) != static_cast<ssize_t>(size - skip)) {
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
  // Again as the pipeline reads: records (blank ones too) on one thread, then each parsed with
  // the parser snapshot the reader gave, with ignored keys.
  lseek(fd, 0, SEEK_SET);
  try {
    RowReader reader(in, options);
    RowReader::Record record;
    std::vector<float> values;
    RowError error;
    std::string ignored, scratch;
    std::vector<std::string_view> fields;
    CsvSplitError split_error;
    for (int i = 0; i < 100000 && reader.NextRecord(record); ++i) {
      if (record.blank) continue;
      // A record the reader ended outside quotes has every quoted field closed.
      if (options.format == InputFormat::kCsv && !record.overlong && !record.open_quote &&
          !SplitCsvRecord(record.text, options.delimiter, fields, scratch, split_error) &&
          split_error.message == "a quoted field that is never closed") {
        __builtin_trap();
      }
      values.clear();
      if (!RowReader::ParseRecord(*reader.parser(), reader.max_line_bytes(), record, values, error, &ignored) &&
          error.line != record.line) {
        __builtin_trap();
      }
    }
  } catch (const std::invalid_argument&) {
  }
  std::fclose(in);
  return 0;
}
