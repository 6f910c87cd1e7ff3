#include "tfjs_run/published_models.h"

#include <atomic>
#include <cstdio>
#include <optional>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "fetch.h"

namespace tfjs_run {

namespace {

void Log(const WatchOptions& o, LogLevel level, const std::string& text) {
  if (o.log) {
    o.log(level, text);
  } else {
    std::fprintf(stderr, "tfjs-run: watch %s: %s\n", o.source.c_str(), text.c_str());
  }
}

}  // namespace

void AddConfiguredModel(ModelSet& models, const ModelConfigEntry& entry, const WatchOptions& watch,
                        const RuntimeOptions& defaults) {
  const RuntimeOptions options = entry.Options(defaults);
  if (!entry.published()) {
    models.AddModel(entry.name, BundleSource::FromFile(entry.source), options);
    return;
  }
  WatchOptions w = watch;
  w.source = entry.watch_source();
  if (watch.log) {
    w.log = [log = watch.log, name = entry.name](LogLevel level, std::string_view text) {
      log(level, "model " + name + ": " + std::string(text));
    };
  }
  models.AddWatchedModel(entry.name, w, options);
}

struct ModelLayoutWatcher::Impl {
  ModelSet& models;
  const WatchOptions watch;
  const RuntimeOptions defaults;
  std::string models_url;
  std::string etag;
  std::map<std::string, ModelConfigEntry> serving;  // what this watcher added, by name
  struct Failure {
    ModelConfigEntry entry;
    std::string error;
    std::string manifest;  // the manifest it failed with: tried again when it changes
  };
  std::map<std::string, Failure> failures;
  mutable std::mutex mu;  // failures, for failed()
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stop = false;
  std::atomic<bool> cancel{false};
  std::thread thread;

  Impl(ModelSet& m, WatchOptions w, RuntimeOptions d)
      : models(m), watch(std::move(w)), defaults(std::move(d)), models_url(JoinUrl(watch.source, "models.json")) {}

  // models.json's config, or nothing when it has not changed. Throws.
  std::optional<ModelConfig> ReadModels() {
    FetchResult r = Fetch(models_url, watch, watch.max_manifest_bytes, etag, &cancel);
    if (!r.ok) throw Error(ErrorKind::kBundleRead, "models " + models_url + ": " + r.error);
    if (r.not_modified) return std::nullopt;
    ModelConfig config = ParseLayoutModels(r.body, watch.source);
    etag = r.etag;
    return config;
  }

  std::string ManifestOf(const ModelConfigEntry& e) {
    FetchResult r = Fetch(JoinUrl(e.watch_source(), "manifest.json"), watch, watch.max_manifest_bytes, "", &cancel);
    return r.ok ? r.body : std::string();
  }

  void Add(const ModelConfigEntry& e) {
    const std::string manifest = ManifestOf(e);
    try {
      AddConfiguredModel(models, e, watch, defaults);
      serving[e.name] = e;
      std::lock_guard lock(mu);
      if (failures.erase(e.name)) Log(watch, LogLevel::kInfo, "model " + e.name + " loaded");
    } catch (const std::exception& error) {
      std::lock_guard lock(mu);
      auto& f = failures[e.name];
      if (f.error != error.what()) {
        Log(watch, LogLevel::kError, "model " + e.name + " (" + e.watch_source() + ") failed to load; the other "
                                     "models keep serving: " + error.what());
      }
      f = {e, error.what(), manifest};
    }
  }

  void Remove(const std::string& name) {
    serving.erase(name);
    try {
      models.RemoveModel(name);
      Log(watch, LogLevel::kInfo, "model " + name + " removed");
    } catch (const std::exception& error) {
      Log(watch, LogLevel::kWarn, "model " + name + ": " + error.what());
    }
  }

  // Makes the set match `config`.
  void Apply(const ModelConfig& config) {
    std::map<std::string, const ModelConfigEntry*> wanted;
    for (const auto& e : config.models) wanted[e.name] = &e;
    std::vector<std::string> gone;
    for (const auto& [name, entry] : serving) {
      auto it = wanted.find(name);
      if (it == wanted.end() || !(*it->second == entry)) gone.push_back(name);
    }
    for (const auto& name : gone) Remove(name);
    {
      std::lock_guard lock(mu);
      for (auto it = failures.begin(); it != failures.end();) it = wanted.count(it->first) ? std::next(it) : failures.erase(it);
    }
    for (const auto& e : config.models) {
      if (!serving.count(e.name)) Add(e);
    }
  }

  // Failed models whose manifest changed since they failed.
  void Retry() {
    std::vector<ModelConfigEntry> again;
    {
      std::lock_guard lock(mu);
      for (const auto& [name, f] : failures) again.push_back(f.entry);
    }
    for (const auto& e : again) {
      std::string manifest = ManifestOf(e);
      bool changed;
      {
        std::lock_guard lock(mu);
        changed = !manifest.empty() && manifest != failures[e.name].manifest;
      }
      if (changed) Add(e);
    }
  }

  void Run() {
    for (;;) {
      {
        std::unique_lock lock(stop_mu);
        if (stop_cv.wait_for(lock, watch.poll_interval, [&] { return stop; })) return;
      }
      try {
        if (auto config = ReadModels()) Apply(*config);
      } catch (const std::exception& e) {
        Log(watch, LogLevel::kWarn, std::string(e.what()) + " (the models serving keep serving)");
      }
      Retry();
    }
  }
};

ModelLayoutWatcher::ModelLayoutWatcher(ModelSet& models, WatchOptions watch, RuntimeOptions defaults)
    : impl_(std::make_unique<Impl>(models, std::move(watch), std::move(defaults))) {
  impl_->Apply(*impl_->ReadModels());
  impl_->thread = std::thread([this] { impl_->Run(); });
}

ModelLayoutWatcher::~ModelLayoutWatcher() {
  {
    std::lock_guard lock(impl_->stop_mu);
    impl_->stop = true;
  }
  impl_->cancel = true;
  impl_->stop_cv.notify_all();
  impl_->thread.join();
}

std::map<std::string, std::string> ModelLayoutWatcher::failed() const {
  std::lock_guard lock(impl_->mu);
  std::map<std::string, std::string> out;
  for (const auto& [name, f] : impl_->failures) out[name] = f.error;
  return out;
}

}  // namespace tfjs_run
