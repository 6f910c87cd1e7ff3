// PrometheusText: models' stats in the Prometheus text exposition format (version 0.0.4): for
// each metric a HELP and a TYPE line, then one sample per model, labelled model="name".
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "tfjs_run/model_set.h"

namespace tfjs_run {
namespace {

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string LabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Number(double v) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.15g", v);
  return text;
}

class Exposition {
 public:
  explicit Exposition(const std::vector<ModelStats>& models) : models_(models) {}

  // One metric: its HELP and TYPE, then `value` of each model (with `labels` after model="...").
  void Metric(const std::string& name, const char* type, const char* help,
              const std::function<double(const ModelStats&)>& value, const std::string& labels = "") {
    Header(name, type, help);
    for (const ModelStats& m : models_) Sample(name, m, labels, value(m));
  }
  void Header(const std::string& name, const char* type, const char* help) {
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const std::string& name, const ModelStats& m, const std::string& labels, double value) {
    out_ += name + "{model=\"" + LabelValue(m.name) + "\"" + (labels.empty() ? "" : "," + labels) + "} " +
            Number(value) + "\n";
  }
  const std::vector<ModelStats>& models() const { return models_; }
  std::string Take() { return std::move(out_); }

 private:
  const std::vector<ModelStats>& models_;
  std::string out_;
};

// A sum over a model's workers.
double Workers(const ModelStats& m, double (*field)(const WorkerStats&)) {
  double sum = 0;
  for (const WorkerStats& w : m.runtime.workers) sum += field(w);
  return sum;
}

}  // namespace

std::string PrometheusText(const std::vector<ModelStats>& models) {
  Exposition e(models);
  e.Header("tfjs_run_model_info", "gauge", "The version each model serves (always 1).");
  for (const ModelStats& m : models) {
    e.Sample("tfjs_run_model_info", m, "version=\"" + LabelValue(m.version) + "\"", 1);
  }
  e.Metric("tfjs_run_model_since_seconds", "gauge", "When the model was added (Unix time).",
           [](const ModelStats& m) { return m.since_ms / 1000.0; });
  e.Metric("tfjs_run_model_version_since_seconds", "gauge", "When the version serving now began to answer (Unix time).",
           [](const ModelStats& m) { return m.version_since_ms / 1000.0; });
  e.Metric("tfjs_run_requests_total", "counter", "Requests completed, answered or failed.",
           [](const ModelStats& m) { return static_cast<double>(m.usage); });
  e.Metric("tfjs_run_request_errors_total", "counter", "Requests that failed.",
           [](const ModelStats& m) { return static_cast<double>(m.errors); });
  e.Header("tfjs_run_request_duration_seconds", "summary",
           "Request duration, call to answer (quantiles of each worker's last 8192 requests).");
  for (const ModelStats& m : models) {
    const LatencyStats& l = m.runtime.latency;
    e.Sample("tfjs_run_request_duration_seconds", m, "quantile=\"0.5\"", l.p50_us / 1e6);
    e.Sample("tfjs_run_request_duration_seconds", m, "quantile=\"0.9\"", l.p90_us / 1e6);
    e.Sample("tfjs_run_request_duration_seconds", m, "quantile=\"0.99\"", l.p99_us / 1e6);
  }
  for (const ModelStats& m : models) e.Sample("tfjs_run_request_duration_seconds_sum", m, "", m.duration_sum_ms / 1e3);
  for (const ModelStats& m : models) {
    e.Sample("tfjs_run_request_duration_seconds_count", m, "", static_cast<double>(m.usage));
  }
  e.Metric("tfjs_run_request_duration_min_seconds", "gauge", "The shortest request.",
           [](const ModelStats& m) { return m.duration_min_ms / 1e3; });
  e.Metric("tfjs_run_request_duration_max_seconds", "gauge", "The longest request.",
           [](const ModelStats& m) { return m.duration_max_ms / 1e3; });
  e.Metric("tfjs_run_rows_total", "counter", "Rows predicted.", [](const ModelStats& m) {
    return Workers(m, [](const WorkerStats& w) { return static_cast<double>(w.rows); });
  });
  e.Metric("tfjs_run_batches_total", "counter", "Predict calls (batches of queued requests).", [](const ModelStats& m) {
    return Workers(m, [](const WorkerStats& w) { return static_cast<double>(w.batches); });
  });
  e.Metric("tfjs_run_failed_batches_total", "counter", "Predict calls that failed.", [](const ModelStats& m) {
    return Workers(m, [](const WorkerStats& w) { return static_cast<double>(w.failed_batches); });
  });
  e.Metric("tfjs_run_isolate_recycles_total", "counter", "Isolates replaced after a call broke one.",
           [](const ModelStats& m) {
             return Workers(m, [](const WorkerStats& w) { return static_cast<double>(w.recycles); });
           });
  e.Metric("tfjs_run_memory_bytes", "gauge", "The model's isolates' JS heap in use plus their buffers, over its workers.",
           [](const ModelStats& m) {
             return Workers(m, [](const WorkerStats& w) { return static_cast<double>(w.memory_bytes); });
           });
  e.Metric("tfjs_run_workers", "gauge", "Worker threads (one isolate each).",
           [](const ModelStats& m) { return static_cast<double>(m.runtime.workers.size()); });
  e.Metric("tfjs_run_queue_rows", "gauge", "Rows queued, not yet taken by a worker.",
           [](const ModelStats& m) { return static_cast<double>(m.runtime.queue_rows); });
  e.Metric("tfjs_run_rejected_overloaded_total", "counter", "Requests refused because the model's queue was full.",
           [](const ModelStats& m) { return static_cast<double>(m.runtime.rejected_overloaded); });
  e.Header("tfjs_run_reloads_total", "counter", "Reloads, by result.");
  for (const ModelStats& m : models) {
    e.Sample("tfjs_run_reloads_total", m, "result=\"ok\"", static_cast<double>(m.runtime.reloads_ok));
    e.Sample("tfjs_run_reloads_total", m, "result=\"failed\"", static_cast<double>(m.runtime.reloads_failed));
  }
  e.Metric("tfjs_run_rollbacks_total", "counter", "Switches undone in their grace window.",
           [](const ModelStats& m) { return static_cast<double>(m.runtime.rollbacks); });
  e.Metric("tfjs_run_watch_failures_total", "counter", "Polls of the model's published source that failed.",
           [](const ModelStats& m) { return static_cast<double>(m.runtime.watch.failures); });
  return e.Take();
}

}  // namespace tfjs_run
