// The bundle contract: what a bundle's top level leaves in its globals, and reading it at load.
// Contract v1 (js/README.md) is globalThis.tfjsRunBundle: its load(), then its shapes, sample
// input, feature names, layout (model input shape, named outputs) and backend. The legacy one
// (tf.js-on-flink) is global predict() and isLoaded() functions.
#include <algorithm>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "model_impl.h"
#include "version_name.h"

namespace tfjs_run {

using internal::IntOr;

// Which contract the bundle's top level left in its globals, and that contract's load.
void Model::Impl::ReadContract(JsScope& s, Clock::time_point deadline) {
  v8::Local<v8::Object> global = s.context->Global();
  v8::Local<v8::Value> v1 = s.Get(global, "tfjsRunBundle");
  v8::Local<v8::Value> legacy_predict = s.Get(global, "predict");
  v8::Local<v8::Value> legacy_is_loaded = s.Get(global, "isLoaded");
  CheckLoadDeadline("reading the bundle's globals");
  if (v1->IsObject()) {
    LoadV1(s, v1.As<v8::Object>(), deadline);
  } else if (legacy_predict->IsFunction() && legacy_is_loaded->IsFunction()) {
    LoadLegacy(s, legacy_predict.As<v8::Function>(), legacy_is_loaded.As<v8::Function>(), deadline);
  } else {
    Fail(ErrorKind::kContract,
         "the bundle exposes no known contract: neither globalThis.tfjsRunBundle (contract v1, see js/README.md) "
         "nor global predict() and isLoaded() functions (tf.js-on-flink)");
  }
}

namespace {

std::string StringField(JsScope& s, v8::Local<v8::Object> obj, std::string_view key) {
  v8::Local<v8::Value> v = s.Get(obj, key);
  return v->IsNullOrUndefined() ? std::string() : s.ToString(v);
}

// Reads shape [rows, cols] where null/-1 means "any". Returns {-1,-1} if absent.
std::pair<int64_t, int64_t> ShapeField(JsScope& s, v8::Local<v8::Object> obj, std::string_view key) {
  v8::Local<v8::Value> v = s.Get(obj, key);
  if (!v->IsArray()) return {-1, -1};
  v8::Local<v8::Array> a = v.As<v8::Array>();
  auto dim = [&](uint32_t i) -> int64_t {
    v8::Local<v8::Value> d;
    if (i >= a->Length() || !a->Get(s.context, i).ToLocal(&d)) return -1;
    return IntOr(d, -1);  // never a cast of Infinity or 1e300
  };
  return {dim(0), dim(1)};
}
}  // namespace

// Optional, informational (tfjs-run --info): modelInputShape [null|n, ...] and outputs
// [{name, columns: [from, to]}]. Anything malformed or oversized is ignored.
void Model::Impl::ReadLayout(JsScope& s, v8::Local<v8::Object> b) {
  constexpr uint32_t kMaxEntries = 64;
  v8::Local<v8::Value> shape = s.Get(b, "modelInputShape");
  if (shape->IsArray() && shape.As<v8::Array>()->Length() <= kMaxEntries) {
    v8::Local<v8::Array> a = shape.As<v8::Array>();
    for (uint32_t i = 0; i < a->Length(); ++i) {
      v8::Local<v8::Value> d;
      info.model_input_shape.push_back(a->Get(s.context, i).ToLocal(&d) ? IntOr(d, -1) : -1);
    }
  }
  v8::Local<v8::Value> outputs = s.Get(b, "outputs");
  if (!outputs->IsArray() || outputs.As<v8::Array>()->Length() > kMaxEntries) return;
  v8::Local<v8::Array> a = outputs.As<v8::Array>();
  for (uint32_t i = 0; i < a->Length(); ++i) {
    v8::Local<v8::Value> o, columns, from, to;
    if (!a->Get(s.context, i).ToLocal(&o) || !o->IsObject()) return;
    columns = s.Get(o.As<v8::Object>(), "columns");
    if (!columns->IsArray() || columns.As<v8::Array>()->Length() != 2 ||
        !columns.As<v8::Array>()->Get(s.context, 0).ToLocal(&from) ||
        !columns.As<v8::Array>()->Get(s.context, 1).ToLocal(&to)) {
      return;
    }
    const int64_t first = IntOr(from, -1), end = IntOr(to, -1);
    if (first < 0 || end <= first) return;
    std::string name = s.ToString(s.Get(o.As<v8::Object>(), "name"));
    if (name.size() > 256) name.resize(256);
    info.outputs.push_back({std::move(name), first, end - first});
  }
}

// Optional: featureNames, one string per input column. Unlike the informational fields, names
// that are malformed fail the load: rows matched by wrong names would get wrong answers. They are
// printed in messages and matched against headers, so each is bounded and has no control
// characters, and they are distinct (a header could not tell two apart).
void Model::Impl::ReadFeatureNames(JsScope& s, v8::Local<v8::Object> b) {
  constexpr int kMaxNameBytes = 256;
  v8::Local<v8::Value> names = s.Get(b, "featureNames");
  if (names->IsNullOrUndefined()) return;
  auto bad = [&](const std::string& why) { Fail(ErrorKind::kContract, "tfjsRunBundle.featureNames" + why); };
  if (!names->IsArray()) bad(" must be an array of strings");
  v8::Local<v8::Array> list = names.As<v8::Array>();
  if (list->Length() != static_cast<uint64_t>(info.input_cols)) {
    bad(" has " + std::to_string(list->Length()) + " names; the input has " + std::to_string(info.input_cols) +
        " columns");
  }
  std::unordered_set<std::string> seen;
  std::vector<std::string> out;
  for (uint32_t i = 0; i < list->Length(); ++i) {
    const std::string at = "[" + std::to_string(i) + "]";
    v8::Local<v8::Value> v;
    if (!list->Get(s.context, i).ToLocal(&v)) {
      CheckLoadDeadline("reading tfjsRunBundle.featureNames");
      bad(at + " could not be read (its getter threw)");
    }
    if (!v->IsString()) bad(at + " is not a string");
    const int bytes = v.As<v8::String>()->Utf8Length(s.isolate);
    if (bytes < 1 || bytes > kMaxNameBytes) bad(at + " must be 1-" + std::to_string(kMaxNameBytes) + " bytes long");
    std::string name = s.ToString(v);
    for (unsigned char c : name) {
      if (c < 0x20 || c == 0x7f) bad(at + " holds a control character");
    }
    if (!seen.insert(name).second) bad(" names '" + name + "' twice");
    out.push_back(std::move(name));
  }
  info.feature_names = std::move(out);
}

// After load(): inputShape and outputShape, [rows|null, cols], each row within the buffer budget.
// With `output` false (load() deferred its warm-up), inputShape alone; outputShape is read after
// finishLoad(), which may not change the input.
void Model::Impl::ReadShapes(JsScope& s, v8::Local<v8::Object> b, bool output) {
  auto [in_rows, in_cols] = ShapeField(s, b, "inputShape");
  auto [out_rows, out_cols] = output ? ShapeField(s, b, "outputShape") : std::pair<int64_t, int64_t>{-1, 1};
  if (in_cols <= 0 || out_cols <= 0) {
    Fail(ErrorKind::kContract, std::string(output ? "after load() (and finishLoad(), if it deferred its warm-up), "
                                                  : "after load(), ") +
                                   "tfjsRunBundle.inputShape and outputShape must be [rows|null, cols] with cols > 0");
  }
  // One row must fit in a typed array and the buffer budget: the host allocates rows of these
  // widths (a warm-up row, results) on the bundle's word.
  const size_t budget = options.max_buffer_mb << 20;
  const size_t max_cols = budget ? budget / sizeof(float) : v8::TypedArray::kMaxLength;
  if (static_cast<size_t>(std::max(in_cols, out_cols)) > max_cols) {
    Fail(ErrorKind::kContract, "tfjsRunBundle.inputShape and outputShape declare " + std::to_string(in_cols) + " and " +
                                   std::to_string(out_cols) + " columns; one row of more than " +
                                   std::to_string(max_cols) + " does not fit in the buffer budget (max_buffer_mb)");
  }
  info.input_cols = in_cols;
  info.output_cols = output ? out_cols : 0;
  info.max_rows = in_rows;
}

void Model::Impl::FinishLoad(JsScope& s, v8::Local<v8::Object> b, const std::vector<int64_t>* widths,
                             Clock::time_point deadline) {
  v8::Local<v8::Value> finish = s.Get(b, "finishLoad");
  if (!finish->IsFunction()) Fail(ErrorKind::kContract, "tfjsRunBundle.warmUpPending is set, but finishLoad() is missing");
  v8::Local<v8::Value> arg = v8::Undefined(s.isolate);
  if (widths) {  // made whole, so that no setter the bundle put on Array.prototype runs
    std::vector<v8::Local<v8::Value>> values;
    for (int64_t w : *widths) values.push_back(v8::Number::New(s.isolate, static_cast<double>(w)));
    arg = v8::Array::New(s.isolate, values.data(), values.size());
  }
  v8::Local<v8::Value> pending = CallJs(s, ErrorKind::kBundleLoad, "finishLoad()", [&] {
    return finish.As<v8::Function>()->Call(s.context, b, 1, &arg);
  });
  Settle(s, pending, ErrorKind::kBundleLoad, "finishLoad() ", deadline);
  const int64_t input_cols = info.input_cols, max_rows = info.max_rows;
  ReadShapes(s, b, true);
  if (info.input_cols != input_cols || info.max_rows != max_rows) {
    Fail(ErrorKind::kContract, "tfjsRunBundle.finishLoad() changed inputShape");
  }
  ReadLayout(s, b);
}

void Model::Impl::LoadV1(JsScope& s, v8::Local<v8::Object> b, Clock::time_point deadline) {
  info.contract = BundleContract::kV1;
  info.name = StringField(s, b, "name");
  info.version = StringField(s, b, "version");
  if (!info.version.empty() && !internal::IsValidVersionName(info.version)) {
    const std::string quoted = internal::QuoteVersionName(info.version);
    info.version.clear();  // never carried into errors or output
    Fail(ErrorKind::kContract, "tfjsRunBundle.version " + quoted + " must be " + std::string(internal::kVersionNameRule));
  }
  info.sha256 = StringField(s, b, "sha256");
  const std::string requested_backend = StringField(s, b, "backend");

  v8::Local<v8::Value> load = s.Get(b, "load");
  v8::Local<v8::Value> predict = s.Get(b, "predict");
  if (!load->IsFunction() || !predict->IsFunction()) {
    Fail(ErrorKind::kContract, "tfjsRunBundle must have functions load() and predict(input, rows, cols)");
  }
  // Asked to, a bundle whose output widths the native plan can tell defers its warm-up in tfjs
  // (js/README.md): a model that runs natively is not warmed up in tfjs (and, with the bundler's
  // answers or a remembered check, never runs there).
  const bool try_native = options.model_exec != ModelExec::kTfjs;
  v8::Local<v8::Value> load_arg;
  if (try_native) {
    v8::Local<v8::Object> load_options = v8::Object::New(s.isolate);
    if (!load_options->CreateDataProperty(s.context, s.Str("deferWarmUp"), v8::True(s.isolate)).FromMaybe(false)) {
      Fail(ErrorKind::kContract, "load()'s options could not be made");
    }
    load_arg = load_options;
  }
  v8::Local<v8::Value> pending = CallJs(s, ErrorKind::kBundleLoad, "load()", [&] {
    return load.As<v8::Function>()->Call(s.context, b, try_native ? 1 : 0, try_native ? &load_arg : nullptr);
  });
  Settle(s, pending, ErrorKind::kBundleLoad, "load() ", deadline);
  const bool warm_up_pending = try_native && s.Get(b, "warmUpPending")->IsTrue();

  // Shapes and the running backend are known only after load (the output's after finishLoad()).
  ReadShapes(s, b, !warm_up_pending);
  ReadSampleInput(s, b);
  ReadFeatureNames(s, b);
  if (!warm_up_pending) ReadLayout(s, b);
  v8::Local<v8::Value> active = s.Get(b, "activeBackend");
  if (active->IsFunction()) {
    info.backend = s.ToString(CallJs(s, ErrorKind::kContract, "activeBackend()", [&] {
      return active.As<v8::Function>()->Call(s.context, b, 0, nullptr);
    }));
  }
  CheckLoadDeadline("reading tfjsRunBundle's fields");
  if (!requested_backend.empty() && info.backend != requested_backend) {
    Fail(ErrorKind::kBackend, "the bundle asked for backend '" + requested_backend + "' but '" +
                                  (info.backend.empty() ? std::string("none") : info.backend) +
                                  "' is running (tfjs fell back silently)");
  }
  bundle.Reset(s.isolate, b);
  predict_fn.Reset(s.isolate, predict.As<v8::Function>());
  LoadNative(s, b, deadline, warm_up_pending);
}

void Model::Impl::LoadLegacy(JsScope& s, v8::Local<v8::Function> predict, v8::Local<v8::Function> is_loaded,
                             Clock::time_point deadline) {
  info.contract = BundleContract::kLegacy;
  info.name = origin;
  v8::TryCatch try_catch(s.isolate);
  std::string failure;
  bool loaded = false;
  host.PumpUntil(s, [&] {
    v8::Local<v8::Value> r;
    if (!is_loaded->Call(s.context, s.context->Global(), 0, nullptr).ToLocal(&r)) {
      failure = host.Describe(s, try_catch).message;
      return true;
    }
    loaded = r->BooleanValue(s.isolate);
    return loaded;
  }, deadline);
  CheckLoadDeadline("isLoaded()");
  if (!failure.empty()) Fail(ErrorKind::kBundleLoad, "isLoaded() threw: " + failure);
  if (!loaded) Fail(ErrorKind::kLoadTimeout, "isLoaded() did not return true within " +
                                             std::to_string(options.load_timeout.count()) + " ms");
  predict_fn.Reset(s.isolate, predict);
}

// sampleInput: rows (an array of arrays of numbers) or one flat array / Float32Array.
void Model::Impl::ReadSampleInput(JsScope& s, v8::Local<v8::Object> b) {
  v8::Local<v8::Value> sample = s.Get(b, "sampleInput");
  if (sample->IsNullOrUndefined()) return;
  std::vector<float> values;
  std::function<bool(v8::Local<v8::Value>, int)> add_numbers = [&](v8::Local<v8::Value> list, int depth) {
    if (depth > 1) return false;
    if (!list->IsArray() && !list->IsTypedArray()) return false;
    v8::Local<v8::Object> obj = list.As<v8::Object>();
    const uint32_t n = list->IsArray() ? list.As<v8::Array>()->Length()
                                       : static_cast<uint32_t>(list.As<v8::TypedArray>()->Length());
    for (uint32_t i = 0; i < n; ++i) {
      v8::Local<v8::Value> v;
      if (!obj->Get(s.context, i).ToLocal(&v)) return false;
      if (v->IsNumber()) {
        values.push_back(static_cast<float>(v.As<v8::Number>()->Value()));
      } else if (!add_numbers(v, depth + 1)) {
        return false;
      }
    }
    return true;
  };
  if (!add_numbers(sample, 0) || values.empty() || values.size() % static_cast<size_t>(info.input_cols) != 0) {
    Fail(ErrorKind::kContract, "tfjsRunBundle.sampleInput must be rows of " + std::to_string(info.input_cols) +
                                   " numbers (an array of arrays, or one flat array)");
  }
  info.sample_input = std::move(values);
}

}  // namespace tfjs_run
