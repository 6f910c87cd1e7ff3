// Putting configured models into a ModelSet, and following a multi-model published layout
// (docs/publishing.md):
//
//   BASE/models.json          {"models": [{"name": "wine"}, {"name": "iris", "version_policy": {"specific": "3"}}]}
//   BASE/wine/manifest.json   the latest version, in the single-model manifest format; its bundle is
//                             "VERSION/FILE", in that version's directory
//   BASE/wine/7/manifest.json the same manifest for version 7 alone (bundle "FILE" beside it)
//   BASE/wine/7/ml.bundle.js
//
// Everything is named, nothing is listed, so plain HTTP serves it.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "tfjs_run/model_config.h"
#include "tfjs_run/model_set.h"
#include "tfjs_run/runtime.h"

namespace tfjs_run {

// Adds the model `entry` describes: a bundle file (ModelSet::AddModel), or a published layout
// followed from its latest version or served at its specific one (ModelSet::AddWatchedModel,
// from `watch` with the entry's source). Throws what AddModel throws.
void AddConfiguredModel(ModelSet& models, const ModelConfigEntry& entry, const WatchOptions& watch,
                        const RuntimeOptions& defaults);

// Follows BASE/models.json (`watch.source` is BASE; polled every watch.poll_interval) and keeps
// `models` matching it: a model named there is added (followed at BASE/NAME, or served at
// BASE/NAME/VERSION), a model no longer named is removed (it drains first), one whose version
// policy changed is replaced. A model that fails to load is logged by name and tried again when
// its manifest changes; the others keep serving. A models.json that cannot be read or parsed
// mid-run is logged, and nothing changes.
class ModelLayoutWatcher {
 public:
  // Reads models.json and adds its models before returning. Throws Error(kBundleRead) when
  // models.json cannot be fetched, ModelConfigError when it cannot be used.
  ModelLayoutWatcher(ModelSet& models, WatchOptions watch, RuntimeOptions defaults);
  // Stops following (a load in progress finishes first). The models stay in the set.
  ~ModelLayoutWatcher();
  ModelLayoutWatcher(const ModelLayoutWatcher&) = delete;
  ModelLayoutWatcher& operator=(const ModelLayoutWatcher&) = delete;

  // The models named in models.json that failed to load, with their errors.
  std::map<std::string, std::string> failed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tfjs_run
