// The CLI's command line: the options --help lists, checked, and mapped onto the library's option
// structs (RuntimeOptions, WatchOptions), which are also where their defaults come from.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipeline.h"
#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

namespace tfjs_run::cli {

struct CliOptions {
  std::string bundle;               // empty: the first version comes from --watch
  std::vector<std::string> inputs;  // empty: stdin
  bool info = false;                // --info: print the bundle's declaration and exit
  bool stats = false;
  std::string metrics_file;         // --metrics-file: the Prometheus text written there at the end
  bool quiet = false;
  LogLevel log_level = LogLevel::kInfo;
  RowReaderOptions reader;
  PipelineOptions pipeline;  // all but stop_requested
  RuntimeOptions runtime;
  std::optional<WatchOptions> watch;  // --watch
  // Several models (model_set_run.h): --model NAME=SOURCE and --model-config, in that order.
  std::vector<ModelConfigEntry> models;
  // --model-column: the CSV column (index or header name) or JSON-lines field naming each row's
  // model. With --watch and no --model, --watch is a multi-model layout's BASE.
  std::string model_column;
  // --model-threads: per-model (each model has workers of its own), shared (the models share one
  // serving thread per core, ModelSet::Threads::kShared), or auto: shared when more models are
  // given at start than there are serving cores (docs/models.md).
  enum class ModelThreads { kAuto, kPerModel, kShared };
  ModelThreads model_threads = ModelThreads::kAuto;
  bool several_models() const { return !models.empty() || !model_column.empty(); }
};

// Parses and checks the command line. Empty after printing --help or --version. Throws
// std::exception for a usage error, its message naming the option.
std::optional<CliOptions> ParseCommandLine(int argc, char** argv);

}  // namespace tfjs_run::cli
