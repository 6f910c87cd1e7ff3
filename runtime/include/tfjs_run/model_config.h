// The models a process serves, as a file names them: for the CLI (--model-config), a C++ service
// (examples/embed-service), and a multi-model published layout's models.json
// (docs/publishing.md). No V8 here: parsing only; published_models.h puts a config into a ModelSet.
//
//   {"models": [
//     {"name": "wine", "source": "models/wine.bundle.js"},
//     {"name": "iris", "source": "https://models.example/iris", "version_policy": "latest"},
//     {"name": "fraud", "source": "https://models.example/fraud", "version_policy": {"specific": "3"},
//      "workers": 2, "max_batch_rows": 64, "max_queue_rows": 8192}]}
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tfjs_run/runtime.h"

namespace tfjs_run {

// A config that cannot be used. what() names the file (or URL), the model and the field.
class ModelConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct ModelConfigEntry {
  std::string name;    // 1-128 characters of [A-Za-z0-9._-], not "." or ".."
  // A bundle file, or a published layout (a directory, file:// or http(s):// URL holding
  // manifest.json) that is followed for new versions.
  std::string source;
  // The version policy of a published layout: empty serves the latest (SOURCE/manifest.json, and
  // follows it); a version name serves exactly that version (SOURCE/VERSION/manifest.json).
  std::string specific_version;
  // Per-model runtime options; unset: the defaults the caller gives.
  std::optional<size_t> workers, max_batch_rows, max_queue_rows;

  bool published() const;            // source is a published layout, not a bundle file
  std::string watch_source() const;  // where its manifest is: SOURCE, or SOURCE/VERSION
  RuntimeOptions Options(RuntimeOptions defaults) const;
  bool operator==(const ModelConfigEntry&) const = default;
};

struct ModelConfig {
  std::vector<ModelConfigEntry> models;  // in the file's order; names are unique
};

// Parses a config's text. `origin` names it in errors (a path or URL). A relative source is taken
// relative to `relative_to` (a directory or URL; empty: as given). Throws ModelConfigError.
ModelConfig ParseModelConfig(const std::string& text, const std::string& origin, const std::string& relative_to = "");
// Reads and parses a config file; relative sources are relative to the file's directory.
ModelConfig ReadModelConfig(const std::string& path);
// The models.json of a multi-model published layout at `base`: the same format, but a model's
// source is always BASE/NAME (a "source" field is refused), so the layout cannot point elsewhere.
ModelConfig ParseLayoutModels(const std::string& text, const std::string& base);

}  // namespace tfjs_run
