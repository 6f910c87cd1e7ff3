// What the CLI prints on stderr besides rows: log lines filtered by --log-level (-q: errors
// only), each escaped (tfjs_run::Printable) so a bundle or an input cannot cut or forge one.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "pipeline.h"
#include "tfjs_run/tfjs_run.h"

namespace tfjs_run::cli {

// A LogSink that prints lines at `least` or above to stderr as "[who] level: text".
LogSink LogToStderr(LogLevel least, std::string who);

// Writes `text` to `out` whole, NUL bytes included (fputs would stop at the first). On stderr,
// a progress line being shown is erased first and drawn again by its next update.
void WriteAll(std::FILE* out, std::string_view text);

// The live progress line on stderr (progress.h draws it): `line` replaces the one shown, with no
// newline; "" erases it. Serialised with WriteAll, so a message never lands inside the line.
void ShowProgress(std::string_view line);

// The run's summary line: rows read, predicted, rejected (and what else became of them), the rate.
void PrintSummary(const RowCounts& c, double wall_seconds, double predict_wall_seconds);

// --metrics-file: writes `text` to a temporary name and renames it, so a collector never reads half
// a file. False (said on stderr, naming the file) when that fails.
bool WriteMetricsFile(const std::string& path, const std::string& text);

}  // namespace tfjs_run::cli
