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
#include <functional>
#include <memory>

#include "input_files.h"
#include "row_io.h"
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
  // Notes (a guessed header) print at kInfo or below, warnings (ignored columns) at kWarn or
  // below. Reports of bad rows and errors always print.
  LogLevel log_level = LogLevel::kInfo;
  // Polled before each read and while one blocks: true stops reading there (a stop signal).
  std::function<bool()> stop_requested;
};

struct RowCounts {
  uint64_t read = 0, predicted = 0, rejected = 0;
  uint64_t unprocessed = 0;  // read, but behind a fatal error: neither written nor rejected
  uint64_t blank = 0;        // blank lines read, each answered by a blank line; not in `read`
  // Answered or rejected, but in output that could not be written (among predicted / rejected).
  uint64_t unwritten = 0;
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
  // Errors and skipped rows are reported on stderr, each naming its line. A failed write (EPIPE
  // when the reader is gone) stops the run promptly with kOutputFailed. Call once.
  // The inputs are read in order, as one stream; messages name the file of a line when there
  // are several, and a later file's first line equal to the first file's header is a header too.
  PipelineResult Run(InputFiles& inputs, const RowReaderOptions& reader_options, std::FILE* out);

  RowCounts counts() const;
  uint64_t last_line() const;                        // the last input line read
  int output_error() const;                          // errno of a failed write to `out`, or 0
  int read_error() const;                            // errno of a failed read that ended the input, or 0
  std::chrono::steady_clock::time_point first_row_time() const;  // when the first data row was read

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tfjs_run::cli
