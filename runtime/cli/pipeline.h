// The CLI's row pipeline. The calling thread only splits the input into lines and hands chunks
// of them on; a small pool parses each chunk, predicts it (in --batch-size batches) and formats
// its output, and whichever thread finishes the next chunk in input order writes it. So parsing
// and formatting run on every core, the output stays in input order, and memory stays bounded:
// at most `window` chunks are in flight, whatever the input size. A chunk goes on as soon as the
// input would block, so rows that trickle in on a pipe are answered at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "line_reader.h"
#include "row_io.h"
#include "row_parser.h"
#include "tfjs_run/tfjs_run.h"

namespace tfjs_run::cli {

// --on-error: stop; or report and write a NaN line in the row's place, so output line N still
// answers input row N; or report and write nothing for it.
enum class OnError { kFail, kSkip, kDrop };

struct PipelineOptions {
  size_t batch_size = 64;
  OnError on_error = OnError::kFail;
  bool with_version = false;
  // With skip or drop, how long the rows of a failed batch may be retried (by bisection) to find
  // the ones that fail.
  std::chrono::milliseconds retry_budget{120000};
  OutputFormat output_format = OutputFormat::kCsv;
  char output_delimiter = ',';
  size_t window = 0;  // chunks in flight (and pool threads); 0: 2 per worker + 2, at most 64
};

struct RowCounts {
  uint64_t read = 0, predicted = 0, rejected = 0;
  uint64_t unprocessed = 0;  // read, but behind a fatal error: neither written nor rejected
  uint64_t blank = 0;        // blank lines read, each answered by a blank line; not in `read`
};

enum class PipelineResult { kOk, kBadInput, kModelFailed, kOutputFailed };

class Pipeline {
 public:
  Pipeline(Runtime& runtime, PipelineOptions options);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Reads `in` to its end (or to the first fatal error) and writes one line per record to `out`
  // (a blank line for a blank one; none for a header, or a bad row with --on-error drop). The
  // parser matches names to the bundle's feature names unless `reader_options` gives its own.
  // Errors and skipped rows are reported on stderr, each naming its line. Call once.
  PipelineResult Run(std::FILE* in, const RowReaderOptions& reader_options, std::FILE* out);

  RowCounts counts() const;
  uint64_t last_line() const;                        // the last input line read
  std::chrono::steady_clock::time_point first_row_time() const;  // when the first data row was read

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tfjs_run::cli
