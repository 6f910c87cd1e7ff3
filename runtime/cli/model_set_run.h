// The CLI with several models (--model, --model-config, or --watch BASE of a multi-model layout,
// with --model-column): each row names its model, goes to that model's queue in a ModelSet (each
// model batches its own rows, as its Runtime does), and the answers are written in input order.
// A row naming a model that is not served is a bad row naming its line and the model.
#pragma once

#include <cstdint>
#include <functional>

#include "input_files.h"
#include "options.h"

namespace tfjs_run::cli {

// Loads the models, answers every row of `inputs`, and reports: the summary, a line per model,
// --metrics-file with every model. Returns main's exit code (0, 2 bad input, 3 a model failed to
// load or predict, 4 the output failed). `stop_signal`: the stop signal that arrived (SIGINT,
// SIGTERM), or 0; once it is set, reading stops, a reload in progress is abandoned, and the rows
// already read are answered and written.
int RunModelSet(const CliOptions& o, InputFiles& inputs, const std::function<int()>& stop_signal,
                int64_t started_unix_ms);

}  // namespace tfjs_run::cli
