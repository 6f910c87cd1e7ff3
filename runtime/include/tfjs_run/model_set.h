// ModelSet: one process serving several named models, added, removed and updated at run time
// (FLIP-23's model server; TF Serving's set of models).
//
//   tfjs_run::ModelSet models;
//   models.AddModel("wine", tfjs_run::BundleSource::FromFile("wine.bundle.js"));
//   models.AddWatchedModel("iris", {.source = "https://models.example/iris"});
//   tfjs_run::DenseMatrix p = models.Predict("wine", rows);
//   std::string text = tfjs_run::PrometheusText(models.Stats());
//
// How workers hold models: each model is a Runtime of its own, so it has its own workers (an
// isolate per model per worker), queue, batching, hot reload with warm-up, answer check and
// rollback, deadlines, memory budgets and watcher. Therefore:
//   - a request for one model never waits behind another model's load or requests, and batches
//     never mix models;
//   - a model that fails to load, or breaks, never affects the others;
//   - each model's queue bound (RuntimeOptions::max_queue_rows) is its quota: a hot model fills
//     its own queue (TrySubmit refuses it) while the others keep theirs;
//   - RemoveModel drains what was accepted for the model, then disposes its isolates.
// The cost is threads and isolates: models x workers. Give each model few workers
// (RuntimeOptions::workers) when there are many models, and declare pre-processing as data
// (js/README.md, `standardize`) so that a call does not enter JS; docs/models.md has the
// measurements, and those of sharing threads between models (Threads::kShared).
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "tfjs_run/dense_matrix.h"
#include "tfjs_run/error.h"
#include "tfjs_run/runtime.h"

namespace tfjs_run {

// One model's stats: FLIP-23's (name, description, since, usage, and the sum, min and max of its
// request durations) and the runtime's (rows, batches, latency percentiles, errors, version).
struct ModelStats {
  std::string name;
  std::string description;      // the bundle's name and the version it serves
  std::string version;          // the version serving now
  int64_t since_ms = 0;         // when the model was added (Unix time, ms)
  int64_t version_since_ms = 0; // when the version serving now started serving (Unix time, ms)
  // From runtime.requests: every request the model's runtime completed, and its durations
  // (submit to answer).
  uint64_t usage = 0;           // requests completed, answered or failed
  uint64_t errors = 0;          // of those, failed
  double duration_sum_ms = 0;
  double duration_min_ms = 0;
  double duration_max_ms = 0;
  RuntimeStats runtime;         // rows, batches, latency percentiles, reloads, queue, per worker
};

class ModelSet {
 public:
  // How the models get threads.
  //   kPerModel (the default): each model is a Runtime with worker threads of its own, models x
  //     workers threads (the design described above).
  //   kShared: for more models than cores (docs/models.md, "Shared threads"; the CLI's choice then).
  //     One serving thread per core (defaults.workers of them, 0: one per CPU this process may
  //     use), shared by every model; each model has a worker (an isolate) on each thread, or on
  //     options.workers of them, and each thread serves its models' queues in turn, a batch each.
  //     No load runs on a shared thread: a model's first load, a reload, a broken isolate's
  //     replacement and a rollback's reload each run on a thread of their own.
  enum class Threads { kPerModel, kShared };

  explicit ModelSet(RuntimeOptions defaults = {}, Threads threads = Threads::kPerModel);
  // Removes every model (each drains first).
  ~ModelSet();
  ModelSet(const ModelSet&) = delete;
  ModelSet& operator=(const ModelSet&) = delete;

  // Loads `source` as model `name` on workers of its own. Throws Error: kContract if the name is
  // taken or not 1-128 characters of [A-Za-z0-9._-] (or is "." or ".."); the load's error (naming the model)
  // otherwise. The set is unchanged when it throws, and the other models serve throughout.
  void AddModel(const std::string& name, const BundleSource& source);
  void AddModel(const std::string& name, const BundleSource& source, const RuntimeOptions& options);
  // The same, serving `source` under `version` ("" takes the bundle's declared one) and, when
  // `check` has rows, only if its answers pass the check (Runtime::Start with a version): an add
  // held to what a Reload is held to, with the set's defaults or `options`. The Java TfjsModels
  // adds models this way.
  void AddModel(const std::string& name, const BundleSource& source, const std::string& version,
                const ReloadCheck& check);
  void AddModel(const std::string& name, const BundleSource& source, const std::string& version,
                const ReloadCheck& check, const RuntimeOptions& options);
  // The same from a published layout, followed from then on (Runtime::StartWatching).
  void AddWatchedModel(const std::string& name, const WatchOptions& watch);
  void AddWatchedModel(const std::string& name, const WatchOptions& watch, const RuntimeOptions& options);
  // Takes `name` out: new calls for it throw kContract at once; every request it accepted is
  // answered; then its isolates are disposed. Returns when that is done. Throws kContract if
  // there is no such model.
  void RemoveModel(const std::string& name);

  // The Runtime calls, for the model `name`. An unknown name throws Error(kContract) naming it.
  DenseMatrix Predict(const std::string& name, DenseMatrixView input);
  Prediction PredictVersioned(const std::string& name, DenseMatrixView input);
  std::future<DenseMatrix> Submit(const std::string& name, DenseMatrixView input);
  void Submit(const std::string& name, DenseMatrixView input, Runtime::Callback done);
  std::future<DenseMatrix> TrySubmit(const std::string& name, DenseMatrixView input);
  void TrySubmit(const std::string& name, DenseMatrixView input, Runtime::Callback done);
  ReloadResult Reload(const std::string& name, const BundleSource& source, const std::string& version = "",
                      const ReloadCheck& check = {});
  void Watch(const std::string& name, const WatchOptions& watch);
  // Abandons every model's reload in progress (Runtime::StopReloading), for a process stopping
  // on a signal: the rows already queued are answered by the versions serving now.
  void StopReloading();

  std::vector<std::string> names() const;  // sorted
  bool contains(const std::string& name) const;
  BundleInfo info(const std::string& name) const;
  ModelStats Stats(const std::string& name) const;
  std::vector<ModelStats> Stats() const;  // every model, by name

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The stats of a Runtime serving model `name` since `since_ms` (Unix ms): what ModelSet::Stats
// gives for one of its models, for a Runtime used on its own (the CLI's --metrics-file).
ModelStats StatsOf(const std::string& name, const Runtime& runtime, int64_t since_ms);

// The Prometheus text exposition (format 0.0.4) of models' stats: counters, gauges and a
// request-duration summary per model, labelled model="name". For a scrape endpoint, a metrics
// file, or a test.
std::string PrometheusText(const std::vector<ModelStats>& models);

}  // namespace tfjs_run
