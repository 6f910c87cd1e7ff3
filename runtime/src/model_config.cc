#include "tfjs_run/model_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fetch.h"
#include "json_limits.h"
#include "version_name.h"

namespace tfjs_run {

namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr size_t kMaxModels = 4096;

bool IsUrl(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0 || s.rfind("file://", 0) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A per-model runtime option, checked against the option's own range.
std::optional<size_t> Count(const nlohmann::json& model, const char* key, OptionRange range,
                            const std::function<ModelConfigError(const std::string&)>& bad) {
  if (!model.contains(key)) return std::nullopt;
  const auto& v = model[key];
  if (!v.is_number_unsigned() || !range.Contains(v.get<int64_t>())) {
    throw bad(std::string("'") + key + "' must be an integer in [" + std::to_string(range.min) + ", " +
              std::to_string(range.max) + "]");
  }
  return v.get<size_t>();
}

ModelConfigEntry ParseEntry(const nlohmann::json& model, size_t index, const std::string& origin,
                            const std::string& relative_to, const std::string* layout_base) {
  const std::string where = origin + ": models[" + std::to_string(index) + "]";
  if (!model.is_object()) throw ModelConfigError(where + " must be an object");
  ModelConfigEntry e;
  if (!model.contains("name") || !model["name"].is_string() || !internal::IsValidVersionName(model["name"].get<std::string>())) {
    throw ModelConfigError(where + ": 'name' must be " + internal::kVersionNameRule);
  }
  e.name = model["name"].get<std::string>();
  auto bad = [&](const std::string& why) { return ModelConfigError(where + " (model '" + e.name + "'): " + why); };
  static const std::set<std::string> kFields = {"name", "source", "version_policy", "workers", "max_batch_rows",
                                                "max_queue_rows"};
  for (const auto& [key, value] : model.items()) {
    if (!kFields.count(key)) throw bad("unknown field '" + key + "'");
  }
  if (layout_base) {
    if (model.contains("source")) throw bad("'source' is not allowed here: a model of the layout is at BASE/NAME");
    e.source = JoinUrl(*layout_base, e.name);
  } else {
    if (!model.contains("source") || !model["source"].is_string() || model["source"].get<std::string>().empty()) {
      throw bad("'source' must be a non-empty string (a bundle file, or a published layout's directory or URL)");
    }
    e.source = model["source"].get<std::string>();
    if (!relative_to.empty() && !IsUrl(e.source) && e.source[0] != '/') e.source = JoinUrl(relative_to, e.source);
  }
  if (model.contains("version_policy")) {
    const auto& p = model["version_policy"];
    if (p.is_object() && p.size() == 1 && p.contains("specific")) {
      std::string v = p["specific"].is_number_unsigned() ? std::to_string(p["specific"].get<uint64_t>())
                      : p["specific"].is_string()       ? p["specific"].get<std::string>()
                                                        : std::string();
      if (!internal::IsValidVersionName(v)) {
        throw bad(std::string("'version_policy': 'specific' must be a version name, ") + internal::kVersionNameRule);
      }
      e.specific_version = v;
    } else if (!(p.is_string() && p.get<std::string>() == "latest")) {
      throw bad("'version_policy' must be \"latest\" or {\"specific\": \"VERSION\"}");
    }
  }
  if (!e.specific_version.empty() && !e.published()) {
    throw bad("a specific version needs a published layout as 'source', not the bundle file '" + e.source + "'");
  }
  e.workers = Count(model, "workers", RuntimeOptions::kWorkers, bad);
  e.max_batch_rows = Count(model, "max_batch_rows", RuntimeOptions::kMaxBatchRows, bad);
  e.max_queue_rows = Count(model, "max_queue_rows", RuntimeOptions::kMaxQueueRows, bad);
  return e;
}

ModelConfig Parse(const std::string& text, const std::string& origin, const std::string& relative_to,
                  const std::string* layout_base) {
  if (text.size() > kMaxConfigBytes) {
    throw ModelConfigError(origin + ": larger than " + std::to_string(kMaxConfigBytes) + " bytes");
  }
  if (internal::JsonDepth(text) > 8) throw ModelConfigError(origin + ": nested deeper than 8 levels");
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ModelConfigError(origin + ": not valid JSON");
  if (!j.is_object() || !j.contains("models") || !j["models"].is_array()) {
    throw ModelConfigError(origin + ": must be an object with a 'models' array");
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "models") throw ModelConfigError(origin + ": unknown field '" + key + "'");
  }
  if (j["models"].size() > kMaxModels) {
    throw ModelConfigError(origin + ": more than " + std::to_string(kMaxModels) + " models");
  }
  ModelConfig config;
  std::set<std::string> names;
  for (size_t i = 0; i < j["models"].size(); ++i) {
    ModelConfigEntry e = ParseEntry(j["models"][i], i, origin, relative_to, layout_base);
    if (!names.insert(e.name).second) {
      throw ModelConfigError(origin + ": models[" + std::to_string(i) + "]: the name '" + e.name + "' is given twice");
    }
    config.models.push_back(std::move(e));
  }
  return config;
}

}  // namespace

bool ModelConfigEntry::published() const { return IsUrl(source) || IsDirectory(source); }

std::string ModelConfigEntry::watch_source() const {
  return specific_version.empty() ? source : JoinUrl(source, specific_version);
}

RuntimeOptions ModelConfigEntry::Options(RuntimeOptions defaults) const {
  if (workers) defaults.workers = *workers;
  if (max_batch_rows) {
    defaults.max_batch_rows = *max_batch_rows;
    defaults.chunk_rows = std::max(defaults.chunk_rows, *max_batch_rows);
  }
  if (max_queue_rows) defaults.max_queue_rows = *max_queue_rows;
  return defaults;
}

ModelConfig ParseModelConfig(const std::string& text, const std::string& origin, const std::string& relative_to) {
  return Parse(text, origin, relative_to, nullptr);
}

ModelConfig ReadModelConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in || IsDirectory(path)) {
    throw ModelConfigError(path + ": cannot be read (" + (in ? "a directory" : std::strerror(errno)) + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  const size_t slash = path.rfind('/');
  return Parse(text.str(), path, slash == std::string::npos ? std::string() : path.substr(0, slash), nullptr);
}

ModelConfig ParseLayoutModels(const std::string& text, const std::string& base) {
  return Parse(text, JoinUrl(base, "models.json"), "", &base);
}

}  // namespace tfjs_run
