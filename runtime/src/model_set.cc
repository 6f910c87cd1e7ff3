// ModelSet: named models, each a Runtime of its own (see model_set.h for why). Their stats are
// the runtimes' (RuntimeStats::requests holds FLIP-23's usage and durations); the set adds when
// each model was added and since when its version answers.
#include "tfjs_run/model_set.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "published_bundle.h"
#include "serving_threads.h"
#include "version_name.h"

namespace tfjs_run {
namespace {

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The error `e` with the model's name in front, so a caller of many models knows which failed.
Error NamedFor(const std::string& name, const Error& e) {
  return Error(e.kind(), "model '" + name + "': " + e.message(), e.js_stack(), e.bundle_name(), e.bundle_version());
}

// One model: its runtime, when it was added, and since when its version answers.
struct Served {
  std::string name;
  std::unique_ptr<Runtime> runtime;
  int64_t since_ms = UnixMs();

  mutable std::mutex mu;  // the two below
  std::string version;    // the last version that answered
  int64_t version_since_ms = 0;

  void Answered(const std::string& answered_by) {
    if (answered_by.empty()) return;
    std::lock_guard lock(mu);
    if (answered_by != version) {
      version = answered_by;
      version_since_ms = UnixMs();
    }
  }
};

}  // namespace

struct ModelSet::Impl {
  Impl(RuntimeOptions d, Threads mode)
      : defaults(std::move(d)),
        threads(mode == Threads::kShared ? std::make_unique<internal::ServingThreads>(internal::ServingCpus(defaults),
                                                                                      defaults.spin)
                                         : nullptr) {}

  // Starts a model's runtime: its workers on the shared threads, or threads of its own.
  std::unique_ptr<Runtime> Start(const BundleSource& source, const std::string& version,
                                 const RuntimeOptions& options) {
    return Runtime::StartAs(source, version, options, threads.get());
  }

  std::shared_ptr<Served> Find(const std::string& name) const {
    std::shared_lock lock(mu);
    auto it = models.find(name);
    if (it == models.end()) {
      throw Error(ErrorKind::kContract,
                  "no model named " + internal::QuoteVersionName(name) + (models.empty() ? " (the set is empty)" : ""));
    }
    return it->second;
  }

  // Reserves `name` for a load, so a second AddModel of it fails at once, not after its load.
  void Reserve(const std::string& name) {
    if (!internal::IsValidVersionName(name)) {
      throw Error(ErrorKind::kContract, "model name " + internal::QuoteVersionName(name) +
                                            " refused: a model name is " + internal::kVersionNameRule);
    }
    std::unique_lock lock(mu);
    if (models.count(name) || loading.count(name)) {
      throw Error(ErrorKind::kContract, "a model named '" + name + "' is already in the set");
    }
    loading.insert(name);
  }

  // Runs `start` (which loads the model) outside the lock; the name is reserved meanwhile.
  template <typename Start>
  void Add(const std::string& name, Start&& start) {
    Reserve(name);
    auto model = std::make_shared<Served>();
    model->name = name;
    try {
      model->runtime = start();
    } catch (const Error& e) {
      std::unique_lock lock(mu);
      loading.erase(name);
      throw NamedFor(name, e);
    } catch (...) {
      std::unique_lock lock(mu);
      loading.erase(name);
      throw;
    }
    model->version = model->runtime->info().version;
    model->version_since_ms = model->since_ms;
    std::unique_lock lock(mu);
    loading.erase(name);
    models.emplace(name, std::move(model));
  }

  const RuntimeOptions defaults;
  // Before the models: destroyed after every model's runtime has shut down.
  const std::unique_ptr<internal::ServingThreads> threads;
  mutable std::shared_mutex mu;  // the two below
  std::map<std::string, std::shared_ptr<Served>> models;
  std::set<std::string> loading;
};

ModelSet::ModelSet(RuntimeOptions defaults, Threads threads)
    : impl_(std::make_unique<Impl>(std::move(defaults), threads)) {}

ModelSet::~ModelSet() {
  std::map<std::string, std::shared_ptr<Served>> all;
  {
    std::unique_lock lock(impl_->mu);
    all.swap(impl_->models);
  }
  for (auto& [name, model] : all) model->runtime->Shutdown();
}

void ModelSet::AddModel(const std::string& name, const BundleSource& source) {
  AddModel(name, source, impl_->defaults);
}

void ModelSet::AddModel(const std::string& name, const BundleSource& source, const RuntimeOptions& options) {
  impl_->Add(name, [&] { return impl_->Start(source, "", options); });
}

void ModelSet::AddModel(const std::string& name, const BundleSource& source, const std::string& version,
                        const ReloadCheck& check) {
  AddModel(name, source, version, check, impl_->defaults);
}

void ModelSet::AddModel(const std::string& name, const BundleSource& source, const std::string& version,
                        const ReloadCheck& check, const RuntimeOptions& options) {
  impl_->Add(name, [&] {
    std::unique_ptr<Runtime> runtime = impl_->Start(source, version, options);
    if (!check.sample.empty() || !check.expected.empty()) runtime->Verify(check);  // as Runtime::Start does
    return runtime;
  });
}

void ModelSet::AddWatchedModel(const std::string& name, const WatchOptions& watch) {
  AddWatchedModel(name, watch, impl_->defaults);
}

void ModelSet::AddWatchedModel(const std::string& name, const WatchOptions& watch, const RuntimeOptions& options) {
  impl_->Add(name, [&] {  // as Runtime::StartWatching does
    PublishedBundle published = FetchPublishedBundle(watch);
    std::unique_ptr<Runtime> runtime = impl_->Start(published.source, published.version, options);
    runtime->Verify(published.check());
    runtime->Watch(watch);
    return runtime;
  });
}

void ModelSet::RemoveModel(const std::string& name) {
  std::shared_ptr<Served> model;
  {
    std::unique_lock lock(impl_->mu);
    auto it = impl_->models.find(name);
    if (it == impl_->models.end()) {
      throw Error(ErrorKind::kContract, "no model named " + internal::QuoteVersionName(name) + " to remove");
    }
    model = std::move(it->second);
    impl_->models.erase(it);
  }
  model->runtime->Shutdown();  // answers what it accepted, then disposes the isolates
}

Prediction ModelSet::PredictVersioned(const std::string& name, DenseMatrixView input) {
  std::shared_ptr<Served> model = impl_->Find(name);
  try {
    Prediction p = model->runtime->PredictVersioned(input);
    model->Answered(p.bundle_version);
    return p;
  } catch (const Error& e) {
    throw NamedFor(name, e);
  }
}

DenseMatrix ModelSet::Predict(const std::string& name, DenseMatrixView input) {
  return PredictVersioned(name, input).output;
}

namespace {
// The callback a model's runtime completes: notes the version that answered, names the model in
// an error, then calls `done`.
Runtime::Callback Answering(std::shared_ptr<Served> model, Runtime::Callback done) {
  return [model = std::move(model), done = std::move(done)](Prediction p, std::exception_ptr error) {
    if (!error) model->Answered(p.bundle_version);
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const Error& e) {
        error = std::make_exception_ptr(NamedFor(model->name, e));
      } catch (...) {
      }
    }
    done(std::move(p), error);
  };
}

std::pair<Runtime::Callback, std::future<DenseMatrix>> ToFuture() {
  auto promise = std::make_shared<std::promise<DenseMatrix>>();
  auto future = promise->get_future();
  return {[promise](Prediction p, std::exception_ptr error) {
            if (error) promise->set_exception(error);
            else promise->set_value(std::move(p.output));
          },
          std::move(future)};
}
}  // namespace

void ModelSet::Submit(const std::string& name, DenseMatrixView input, Runtime::Callback done) {
  std::shared_ptr<Served> model = impl_->Find(name);
  Runtime& runtime = *model->runtime;
  try {
    runtime.Submit(input, Answering(std::move(model), std::move(done)));
  } catch (const Error& e) {
    throw NamedFor(name, e);  // refused before queueing (shape, shutdown): not a completed request
  }
}

std::future<DenseMatrix> ModelSet::Submit(const std::string& name, DenseMatrixView input) {
  auto [done, future] = ToFuture();
  Submit(name, input, std::move(done));
  return std::move(future);
}

void ModelSet::TrySubmit(const std::string& name, DenseMatrixView input, Runtime::Callback done) {
  std::shared_ptr<Served> model = impl_->Find(name);
  Runtime& runtime = *model->runtime;
  try {
    runtime.TrySubmit(input, Answering(std::move(model), std::move(done)));
  } catch (const Error& e) {
    throw NamedFor(name, e);  // kOverloaded: this model's queue is full, the others' are not touched
  }
}

std::future<DenseMatrix> ModelSet::TrySubmit(const std::string& name, DenseMatrixView input) {
  auto [done, future] = ToFuture();
  TrySubmit(name, input, std::move(done));
  return std::move(future);
}

ReloadResult ModelSet::Reload(const std::string& name, const BundleSource& source, const std::string& version,
                              const ReloadCheck& check) {
  return impl_->Find(name)->runtime->Reload(source, version, check);
}

void ModelSet::Watch(const std::string& name, const WatchOptions& watch) {
  std::shared_ptr<Served> model = impl_->Find(name);
  try {
    model->runtime->Watch(watch);
  } catch (const Error& e) {
    throw NamedFor(name, e);
  }
}

void ModelSet::StopReloading() {
  std::shared_lock lock(impl_->mu);
  for (const auto& [name, model] : impl_->models) model->runtime->StopReloading();
}

std::vector<std::string> ModelSet::names() const {
  std::shared_lock lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [name, model] : impl_->models) out.push_back(name);
  return out;
}

bool ModelSet::contains(const std::string& name) const {
  std::shared_lock lock(impl_->mu);
  return impl_->models.count(name) > 0;
}

BundleInfo ModelSet::info(const std::string& name) const { return impl_->Find(name)->runtime->info(); }

ModelStats StatsOf(const std::string& name, const Runtime& runtime, int64_t since_ms) {
  ModelStats s;
  s.name = name;
  s.runtime = runtime.Stats();
  const BundleInfo info = runtime.info();
  s.version = info.version;
  s.description = (info.name.empty() ? std::string("bundle") : info.name) + " version " + info.version;
  s.since_ms = since_ms;
  s.version_since_ms = since_ms;
  s.usage = s.runtime.requests.count;
  s.errors = s.runtime.requests.failed;
  s.duration_sum_ms = s.runtime.requests.sum_us / 1e3;
  s.duration_min_ms = s.runtime.requests.min_us / 1e3;
  s.duration_max_ms = s.runtime.requests.max_us / 1e3;
  return s;
}

ModelStats ModelSet::Stats(const std::string& name) const {
  std::shared_ptr<Served> model = impl_->Find(name);
  ModelStats s = StatsOf(name, *model->runtime, model->since_ms);
  std::lock_guard lock(model->mu);
  s.version_since_ms = model->version_since_ms;
  return s;
}

std::vector<ModelStats> ModelSet::Stats() const {
  std::vector<ModelStats> out;
  for (const std::string& name : names()) {
    try {
      out.push_back(Stats(name));
    } catch (const Error&) {
      // removed since names() was read
    }
  }
  return out;
}

}  // namespace tfjs_run
