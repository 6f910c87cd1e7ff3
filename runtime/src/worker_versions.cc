#include "worker_versions.h"

#include <chrono>

namespace tfjs_run::internal {

bool WarmUpInput(const Model& model, const std::vector<float>& sample, std::vector<float>& out, size_t& rows) {
  const int64_t cols = model.info().input_cols;
  if (cols <= 0) return false;
  const std::vector<float>& declared = model.info().sample_input;
  if (!sample.empty()) {
    out = sample;
    rows = sample.size() / static_cast<size_t>(cols);
  } else if (!declared.empty()) {
    out = declared;
    rows = declared.size() / static_cast<size_t>(cols);
  } else {
    out.assign(static_cast<size_t>(cols), 0.0f);
    rows = 1;
  }
  return model.info().max_rows < 0 || static_cast<size_t>(model.info().max_rows) == rows;
}

std::unique_ptr<Model> WorkerVersions::Load(const BundleSource& source, CodeCacheStore::Bytes cache,
                                            std::shared_ptr<std::atomic<bool>> cancel) const {
  ModelOptions options = model_options_;
  options.code_cache = std::move(cache);
  options.cancel = std::move(cancel);
  return Model::Load(source, options);
}

// Callers (the CLI's header and JSON-key matching) put columns in the running version's named
// order: a version that takes another width, or names its features otherwise, would get
// shuffled or cut rows.
std::string WorkerVersions::Admit(const Model& loaded, const std::string& version) const {
  if (!current_.model) return {};
  const BundleInfo& now = current_.model->info();
  const BundleInfo& next = loaded.info();
  if (now.input_cols != next.input_cols) {
    return "version " + version + " takes " + std::to_string(next.input_cols) + " columns, the running version " +
           std::to_string(now.input_cols) + ": a change of input width needs a new runtime";
  }
  if (!now.feature_names.empty() && next.feature_names != now.feature_names) {
    return "version " + version +
           (next.feature_names.empty() ? " declares no feature names" : " names its features otherwise") +
           " than the running version: a change of features needs a new runtime";
  }
  return {};
}

// With a check, the answers must pass it and a failure is thrown; without one, the warm-up only
// compiles what predict uses before a code cache is made, and a failure is ignored.
std::string WorkerVersions::WarmUp(Model& staged, const StageSpec& spec, double& ms) const {
  const std::string& version = spec.staged_version;
  if (spec.check) {
    if (std::string why = CheckFits(*spec.check, staged.info()); !why.empty()) return "version " + version + ": " + why;
  }
  std::vector<float> input;
  size_t rows = 0;
  if (!WarmUpInput(staged, spec.check ? spec.check->sample : std::vector<float>{}, input, rows)) {
    if (!spec.check || spec.check->expected.empty()) return {};
    return "version " + version + ": its answers cannot be checked: the bundle fixes the rows of a call, and the sample has " +
           std::to_string(rows) + " rows";
  }
  const auto start = std::chrono::steady_clock::now();
  const DenseMatrixView view{input.data(), rows, input.size() / rows};
  std::string why;
  if (spec.check) {
    DenseMatrix out = staged.Predict(view);
    if (std::string bad = CheckAnswers(out, *spec.check); !bad.empty()) why = "version " + version + ": " + bad;
  } else {
    try {
      staged.Predict(view);
    } catch (const Error&) {
    }
  }
  ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return why;
}

std::string WorkerVersions::Stage(StageSpec& spec) {
  std::unique_ptr<Model> staged = Load(*spec.source, spec.code_cache, spec.cancel);
  spec.staged_version = spec.version.empty() ? staged->info().version : spec.version;
  spec.load_ms = staged->load_ms();
  if (std::string why = Admit(*staged, spec.staged_version); !why.empty()) return why;
  const bool make_cache = spec.make_cache && (!spec.code_cache || !staged->code_cache_accepted());
  if (spec.check || make_cache) {
    if (std::string why = WarmUp(*staged, spec, spec.warmup_ms); !why.empty()) return why;
  }
  // An unchecked warm-up past the predict deadline leaves a broken isolate: start from a fresh one.
  if (staged->broken()) staged = Load(*spec.source, spec.code_cache, spec.cancel);
  if (make_cache) spec.code_cache = std::make_shared<std::vector<uint8_t>>(staged->CreateCodeCache());
  spec.info = staged->info();
  spec.info.version = spec.staged_version;  // a name the caller gave wins
  staged_ = Held{std::move(staged), spec.staged_version, spec.source, spec.code_cache};
  return {};
}

void WorkerVersions::Commit() {
  Held replaced = std::move(current_);
  current_ = std::move(staged_);  // the swap: the next batch runs on the new version
  staged_ = {};
  // The replaced version stays loaded for the grace window, unless there is none or it is itself
  // a version that was rolled back (it broke); otherwise it is disposed here, on its own thread.
  previous_ = {};
  if (keep_previous_ && replaced.model && !replaced.model->broken()) previous_ = std::move(replaced);
}

void WorkerVersions::Abort() { staged_ = {}; }

std::string WorkerVersions::Recycle() {
  if (!current_.source) return "no source to load the version from";
  try {
    current_.model = Load(*current_.source, current_.code_cache);  // the broken isolate is disposed here
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string WorkerVersions::RollBack() {
  Held back = std::move(previous_);
  previous_ = {};
  if (!back.model || back.model->broken()) {
    try {
      back.model = Load(*back.source, back.code_cache);
    } catch (const std::exception& e) {
      return "loading version " + back.version + " again to roll back failed: " + e.what();
    }
  }
  current_ = std::move(back);  // the failing version's isolate is disposed here
  return {};
}

void WorkerVersions::DisposeAll() {
  previous_ = {};
  staged_ = {};
  current_ = {};
}

}  // namespace tfjs_run::internal
