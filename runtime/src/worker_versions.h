// WorkerVersions: the versions of the bundle one worker holds, and the one way a version is loaded.
//
//   current   serves the worker's batches
//   staged    loaded and warmed up by a reload, waiting for the commit
//   previous  the version the last commit replaced, kept for the grace window (grace_window.h) so
//             that a failure of the new version can roll back to it. Its isolate may be gone (it
//             broke); its source and code cache are kept to load it again.
//
// Start-up and reload both go through Stage (load, admission, warm-up, code cache) and Commit;
// at start-up there is no current version to admit against or to keep. Every slot is touched by
// one thread at a time: the worker's own (a reload runs its steps there, Worker::Run), or for a
// worker on a shared thread whichever holds its serve lock, so nothing here locks.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "answer_check.h"
#include "code_cache_store.h"
#include "tfjs_run/model.h"

namespace tfjs_run::internal {

// The warm-up input: the given sample (from the manifest or a push; CheckFits has checked its
// width), else the bundle's declared sampleInput, else one row of zeros. Returns false if the
// bundle's width is unknown (legacy) or it fixes the rows of a call to another count.
bool WarmUpInput(const Model& model, const std::vector<float>& sample, std::vector<float>& out, size_t& rows);

// What to stage, and what staging it took.
struct StageSpec {
  std::shared_ptr<const BundleSource> source{};
  std::string version{};              // "" takes the bundle's declared version
  // In: a code cache to try. Out: the one the staged isolate was made from or made, when the
  // offered one was absent or rejected and `make_cache` is set (the caller saves it to disk).
  CodeCacheStore::Bytes code_cache{};
  bool make_cache = true;
  // The warm-up's answers must pass it (answer_check.h). Null: warm up only to make a code cache,
  // and a failure there is not the version's (its first requests will tell).
  const ReloadCheck* check = nullptr;
  std::shared_ptr<std::atomic<bool>> cancel{};  // ModelOptions::cancel, for Reloader::Stop
  // Out.
  std::string staged_version{};
  BundleInfo info{};  // the staged model's
  double load_ms = 0, warmup_ms = 0;
};

class WorkerVersions {
 public:
  // `keep_previous`: whether a commit keeps the replaced version (GraceWindow::enabled).
  WorkerVersions(const ModelOptions& model_options, bool keep_previous)
      : model_options_(model_options), keep_previous_(keep_previous) {}

  // Loads spec.source into the staged slot. Throws Error if it does not load; returns "" or why
  // the loaded version may not serve: it changes the current version's input width or feature
  // names, or its warm-up answers fail spec.check (nothing is staged then).
  std::string Stage(StageSpec& spec);
  // The staged version serves from the next batch; the current one is kept as the previous for
  // the grace window, if there is one and it did not break, or disposed here.
  void Commit();
  void Abort();  // disposes the staged version

  // The current isolate broke (deadline, heap limit): a fresh one of the same version. Returns ""
  // or why that load failed (the broken one then stays; its termination was cancelled).
  std::string Recycle();
  void DropPrevious() { previous_ = {}; }  // the window closed; its isolate is disposed here
  // Swaps the previous version back in, loading it again if its isolate broke. Returns "" or why
  // that failed (the worker then goes on with the version it has).
  std::string RollBack();
  void DisposeAll();  // on the owning thread, as it ends

  bool serving() const { return current_.model != nullptr; }
  Model& model() { return *current_.model; }
  const Model& model() const { return *current_.model; }
  const std::string& version() const { return current_.version; }
  bool holds_previous() const { return previous_.source != nullptr; }
  // Whether RollBack must load the previous version again (its isolate broke or is gone).
  bool rollback_loads() const { return !previous_.model || previous_.model->broken(); }
  // The previous version's live isolate, or null (none, or it broke).
  Model* previous_model() { return previous_.model && !previous_.model->broken() ? previous_.model.get() : nullptr; }
  const std::string& previous_version() const { return previous_.version; }

 private:
  struct Held {
    std::unique_ptr<Model> model;
    std::string version;
    std::shared_ptr<const BundleSource> source;
    CodeCacheStore::Bytes code_cache;
  };
  std::unique_ptr<Model> Load(const BundleSource& source, CodeCacheStore::Bytes cache,
                              std::shared_ptr<std::atomic<bool>> cancel = nullptr) const;
  std::string Admit(const Model& loaded, const std::string& version) const;
  std::string WarmUp(Model& staged, const StageSpec& spec, double& ms) const;

  const ModelOptions& model_options_;
  const bool keep_previous_;
  Held current_, staged_, previous_;
};

}  // namespace tfjs_run::internal
