// Model: loads a bundle into an IsolateHost, detects its contract, and runs predict.
#include "tfjs_run/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_set>

#include "model_impl.h"
#include "version_name.h"

namespace tfjs_run {

using internal::IntOr;

// V8 makes at most one character of one UTF-8 byte, so a bundle of kMaxBytes always fits.
static_assert(BundleSource::kMaxBytes <= static_cast<size_t>(v8::String::kMaxLength));

void BundleSource::CheckSize(size_t bytes, const std::string& origin) {
  if (bytes <= kMaxBytes) return;
  throw Error(ErrorKind::kBundleRead, "bundle '" + origin + "' is " + std::to_string(bytes) +
                                          " bytes; the longest bundle tfjs-run loads is " + std::to_string(kMaxBytes) +
                                          " bytes (V8's longest string)");
}

BundleSource BundleSource::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::kBundleRead, "cannot open bundle file '" + path + "': " + std::strerror(errno));
  // A regular file is refused by its size, unread; anything else (a pipe) as it is read.
  std::error_code size_error;
  const auto size = std::filesystem::file_size(path, size_error);
  if (!size_error) CheckSize(size, path);
  std::string code;
  std::vector<char> chunk(1 << 16);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    code.append(chunk.data(), static_cast<size_t>(in.gcount()));
    CheckSize(code.size(), path);
  }
  if (in.bad()) throw Error(ErrorKind::kBundleRead, "cannot read bundle file '" + path + "'");
  return BundleSource{std::move(code), path};
}


void Model::Impl::Load(const BundleSource& source) {
  // One deadline for all of loading: the top level, load() and its promise, every contract
  // field read (a getter is JS too), activeBackend(), and turning a thrown value into a message.
  const Clock::time_point deadline = Clock::now() + options.load_timeout;
  loading = true;
  host.Run(deadline, [&](JsScope& s) {
    v8::TryCatch try_catch(s.isolate);
    v8::ScriptOrigin script_origin(s.isolate, s.Str(origin));
    const auto& cache = options.code_cache;
    // Source takes ownership of the CachedData struct, which only points at our bytes.
    auto* cached = cache && !cache->empty() && cache->size() <= static_cast<size_t>(std::numeric_limits<int>::max())
                       ? new v8::ScriptCompiler::CachedData(cache->data(), static_cast<int>(cache->size()),
                                                            v8::ScriptCompiler::CachedData::BufferNotOwned)
                       : nullptr;
    v8::ScriptCompiler::Source script_source(s.Str(source.code), script_origin, cached);
    v8::Local<v8::Script> script;
    const bool compiled = v8::ScriptCompiler::Compile(s.context, &script_source,
                                                      cached ? v8::ScriptCompiler::kConsumeCodeCache
                                                             : v8::ScriptCompiler::kNoCompileOptions)
                              .ToLocal(&script);
    code_cache_accepted = cached && !script_source.GetCachedData()->rejected;
    if (cached && !code_cache_accepted) host.Log(LogLevel::kDebug, "the code cache was rejected; compiled from source");
    if (!compiled) {
      JsException e = host.Describe(s, try_catch);
      v8::Local<v8::Message> m = try_catch.Message();
      std::string where = origin;
      if (!m.IsEmpty()) where += ":" + std::to_string(m->GetLineNumber(s.context).FromMaybe(0));
      Fail(ErrorKind::kBundleCompile, where + ": " + e.message);
    }
    this->script.Reset(s.isolate, script->GetUnboundScript());
    CallJs(s, ErrorKind::kBundleLoad, "the bundle's top-level code", [&] { return script->Run(s.context); });
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
  });
}

v8::Local<v8::Value> Model::Impl::Settle(JsScope& s, v8::Local<v8::Value> value, ErrorKind kind,
                                         const std::string& what, Clock::time_point deadline) {
  if (!value->IsPromise()) return value;
  v8::Local<v8::Promise> promise = value.As<v8::Promise>();
  const bool settled = host.PumpUntil(s, [&] { return promise->State() != v8::Promise::kPending; }, deadline);
  if (!settled) {
    const bool loading = kind == ErrorKind::kBundleLoad;
    Fail(loading ? ErrorKind::kLoadTimeout : ErrorKind::kTimeout,
         what + "did not settle within " +
             std::to_string(loading ? options.load_timeout.count() : options.predict_timeout.count()) + " ms");
  }
  if (promise->State() == v8::Promise::kRejected) {
    FailJs(kind, what + "rejected: ", host.DescribeValue(s, promise->Result()));
  }
  return promise->Result();
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

void Model::Impl::LoadV1(JsScope& s, v8::Local<v8::Object> b, Clock::time_point deadline) {
  info.contract = BundleContract::kV1;
  info.name = StringField(s, b, "name");
  info.version = StringField(s, b, "version");
  if (!info.version.empty() && !internal::IsValidVersionName(info.version)) {
    const std::string quoted = internal::QuoteVersionName(info.version);
    info.version.clear();  // never carried into errors or output
    Fail(ErrorKind::kContract, "tfjsRunBundle.version " + quoted + " must be 1-128 characters of [A-Za-z0-9._-]");
  }
  info.sha256 = StringField(s, b, "sha256");
  const std::string requested_backend = StringField(s, b, "backend");

  v8::Local<v8::Value> load = s.Get(b, "load");
  v8::Local<v8::Value> predict = s.Get(b, "predict");
  if (!load->IsFunction() || !predict->IsFunction()) {
    Fail(ErrorKind::kContract, "tfjsRunBundle must have functions load() and predict(input, rows, cols)");
  }
  v8::Local<v8::Value> pending =
      CallJs(s, ErrorKind::kBundleLoad, "load()", [&] { return load.As<v8::Function>()->Call(s.context, b, 0, nullptr); });
  Settle(s, pending, ErrorKind::kBundleLoad, "load() ", deadline);

  // Shapes and the running backend are known only after load.
  auto [in_rows, in_cols] = ShapeField(s, b, "inputShape");
  auto [out_rows, out_cols] = ShapeField(s, b, "outputShape");
  if (in_cols <= 0 || out_cols <= 0) {
    Fail(ErrorKind::kContract, "after load(), tfjsRunBundle.inputShape and outputShape must be [rows|null, cols] with cols > 0");
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
  info.output_cols = out_cols;
  info.max_rows = in_rows;
  ReadSampleInput(s, b);
  ReadFeatureNames(s, b);
  ReadLayout(s, b);
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
  LoadNative(s, b, deadline);
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

DenseMatrix Model::Impl::CopyOutput(JsScope& s, v8::Local<v8::Value> result, size_t rows) {
  const size_t expected = rows * static_cast<size_t>(info.output_cols);
  if (result->IsFloat32Array()) {
    v8::Local<v8::Float32Array> arr = result.As<v8::Float32Array>();
    if (arr->Length() != expected) {
      Fail(ErrorKind::kOutput, "predict() returned " + std::to_string(arr->Length()) + " values for " +
                                   std::to_string(rows) + " rows; expected rows x " +
                                   std::to_string(info.output_cols) + " = " + std::to_string(expected));
    }
    DenseMatrix out(rows, static_cast<size_t>(info.output_cols));
    if (expected > 0) arr->CopyContents(out.data(), expected * sizeof(float));
    return out;
  }
  Fail(ErrorKind::kOutput, "predict() must return a Float32Array (or a promise of one), got " +
                               std::string(result->IsArray() ? "an Array" : s.ToString(result->TypeOf(s.isolate))));
}

DenseMatrix Model::Impl::PredictV1(JsScope& s, const DenseMatrixView* parts, size_t count, size_t rows,
                                   size_t cols, Clock::time_point deadline) {
  // The input is copied into memory the isolate owns, so JS may keep it (tfjs's cpu backend keeps
  // its input tensor) and nothing in JS can reach the caller's memory after we return.
  // Not zero-copy with a detach: detaching any ArrayBuffer invalidates V8's
  // ArrayBufferDetaching protector for the whole isolate, and from then on every optimised
  // typed-array access carries a detach check: tfjs's cpu kernels ran at ~0.6x (measured,
  // docs/benchmarks.md). A copy of one chunk (256 x cols floats by default) costs well under 1 us.
  const size_t values = rows * cols;
  if (!host.BufferFits(values * sizeof(float))) {
    // V8 aborts the process when an allocation through its API fails: check the budget first.
    Fail(ErrorKind::kMemory, "the input (" + std::to_string(rows) + " rows) does not fit in the buffer budget: " +
                                 std::to_string(host.buffer_bytes() >> 20) + " MiB of " +
                                 std::to_string(options.max_buffer_mb) + " MiB are held by the bundle");
  }
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(s.isolate, values * sizeof(float));
  float* out = static_cast<float*>(store->Data());
  for (size_t i = 0; i < count; ++i) {
    if (parts[i].size() > 0) std::memcpy(out, parts[i].data(), parts[i].size() * sizeof(float));
    out += parts[i].size();
  }
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(s.isolate, std::move(store));
  v8::Local<v8::Value> argv[] = {
      v8::Float32Array::New(buffer, 0, values),
      v8::Number::New(s.isolate, static_cast<double>(rows)),
      v8::Number::New(s.isolate, static_cast<double>(cols)),
  };
  v8::Local<v8::Value> result = CallJs(s, ErrorKind::kPredict, "predict()", [&] {
    return predict_fn.Get(s.isolate)->Call(s.context, bundle.Get(s.isolate), 3, argv);
  });
  result = Settle(s, result, ErrorKind::kPredict, "predict() ", deadline);
  s.isolate->PerformMicrotaskCheckpoint();
  if (host.timed_out()) FailTimeout();
  return CopyOutput(s, result, rows);
}

namespace {
// What the host's row arrays cost in the JS heap, at most: a heap number and its element slot
// per value (no pointer compression in this V8), an array object per row.
constexpr size_t kJsBytesPerValue = 24;
constexpr size_t kJsBytesPerRow = 64;
// The longest array the host builds: well under V8's longest (2^27 - 3 elements here), past
// which V8 aborts the process instead of failing.
constexpr size_t kMaxJsArrayLength = size_t{1} << 26;
// Room reserved up front for a legacy result: past it, the values grow as they are read, so an
// unbudgeted claim of a huge length costs only what the bundle really returned.
constexpr size_t kLegacyReserveValues = size_t{1} << 20;
}  // namespace

v8::Local<v8::Array> Model::Impl::LegacyRows(JsScope& s, const DenseMatrixView* parts, size_t count, size_t rows,
                                             size_t cols) {
  v8::HeapStatistics heap;
  s.isolate->GetHeapStatistics(&heap);
  const size_t js_bytes = rows * (cols * kJsBytesPerValue + kJsBytesPerRow);
  if (rows > kMaxJsArrayLength || cols > kMaxJsArrayLength || js_bytes > heap.heap_size_limit() / 2) {
    Fail(ErrorKind::kMemory, "the input (" + std::to_string(rows) + " rows x " + std::to_string(cols) +
                                 " columns) is too big for tf.js-on-flink's row arrays: they would take " +
                                 std::to_string(js_bytes >> 20) + " MiB, over half the JS heap's " +
                                 std::to_string(heap.heap_size_limit() >> 20) + " MiB limit");
  }
  // Array::New(elements) defines the elements: no setter a bundle put on Array.prototype runs,
  // and nothing can fail half-way.
  std::vector<v8::Local<v8::Value>> list(rows), row(cols);
  size_t at = 0;
  for (size_t i = 0; i < count; ++i) {
    for (size_t r = 0; r < parts[i].rows(); ++r) {
      v8::EscapableHandleScope row_scope(s.isolate);
      for (size_t c = 0; c < cols; ++c) row[c] = v8::Number::New(s.isolate, parts[i].at(r, c));
      list[at++] = row_scope.Escape(v8::Array::New(s.isolate, row.data(), cols));
    }
  }
  return v8::Array::New(s.isolate, list.data(), rows);
}

std::vector<float> Model::Impl::LegacyValues(JsScope& s, v8::Local<v8::Value> result, size_t rows) {
  v8::Local<v8::Value> flat;
  if (!result->IsArray() || result.As<v8::Array>()->Length() < 1 ||
      !result.As<v8::Array>()->Get(s.context, 0).ToLocal(&flat)) {
    Fail(ErrorKind::kOutput, "a tf.js-on-flink predict() must return [flatArray]");
  }
  if (!flat->IsArray() && !flat->IsTypedArray()) {
    Fail(ErrorKind::kOutput, "a tf.js-on-flink predict() must return [flatArray]; element 0 is not an array");
  }
  // The length is only the bundle's claim (a sparse array of length 6e8 costs JS nothing): check
  // it against rows x the width once known, before that against the buffer budget, before the
  // host allocates for it.
  const size_t n = flat->IsArray() ? flat.As<v8::Array>()->Length() : flat.As<v8::TypedArray>()->Length();
  const std::string returned = "predict() returned " + std::to_string(n) + " values for " + std::to_string(rows) + " rows";
  if (info.output_cols > 0 && n != rows * static_cast<size_t>(info.output_cols)) {
    Fail(ErrorKind::kOutput, returned + "; expected rows x " + std::to_string(info.output_cols) + " = " +
                                 std::to_string(rows * static_cast<size_t>(info.output_cols)));
  }
  if (n == 0 || n % rows != 0) Fail(ErrorKind::kOutput, returned + ", not a multiple of the rows");
  if (n > std::numeric_limits<uint32_t>::max()) Fail(ErrorKind::kOutput, returned + ", more than an array holds");
  const size_t budget = options.max_buffer_mb << 20;
  if (budget != 0 && n > budget / sizeof(float)) {
    Fail(ErrorKind::kOutput, returned + ", over the " + std::to_string(options.max_buffer_mb) +
                                 " MiB buffer budget (max_buffer_mb)");
  }
  std::vector<float> values;
  values.reserve(std::min(n, kLegacyReserveValues));
  v8::Local<v8::Object> arr = flat.As<v8::Object>();
  for (size_t i = 0; i < n; ++i) {
    v8::Local<v8::Value> v;
    if (!arr->Get(s.context, static_cast<uint32_t>(i)).ToLocal(&v) || !v->IsNumber()) {
      Fail(ErrorKind::kOutput, "predict() result element " + std::to_string(i) + " is not a number");
    }
    values.push_back(static_cast<float>(v.As<v8::Number>()->Value()));
  }
  return values;
}

DenseMatrix Model::Impl::PredictLegacy(JsScope& s, const DenseMatrixView* parts, size_t count, size_t rows,
                                       size_t cols) {
  // tf.js-on-flink's contract: predict(rows: number[][]) returns [flatArray].
  v8::Local<v8::Value> argv[] = {LegacyRows(s, parts, count, rows, cols)};
  v8::Local<v8::Value> result = CallJs(s, ErrorKind::kPredict, "predict()", [&] {
    return predict_fn.Get(s.isolate)->Call(s.context, s.context->Global(), 1, argv);
  });
  s.isolate->PerformMicrotaskCheckpoint();
  if (host.timed_out()) FailTimeout();
  std::vector<float> values = LegacyValues(s, result, rows);
  const int64_t out_cols = static_cast<int64_t>(values.size() / rows);
  if (info.output_cols < 0) info.output_cols = out_cols;
  return DenseMatrix(rows, static_cast<size_t>(out_cols), std::move(values));
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::unique_ptr<Model> Model::Load(const BundleSource& source, const ModelOptions& options) {
  const auto start = Clock::now();
  const std::string origin = source.origin.empty() ? std::string("<bundle>") : source.origin;
  BundleSource::CheckSize(source.code.size(), origin);  // before V8 sees it
  auto impl = std::make_unique<Impl>(options, origin);
  impl->OneErrorType("loading", [&] { impl->Load(source); });
  impl->loading = false;
  impl->load_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

const BundleInfo& Model::info() const { return impl_->info; }
bool Model::code_cache_accepted() const { return impl_->code_cache_accepted; }
double Model::load_ms() const { return impl_->load_ms; }

bool Model::broken() const { return impl_->host.broken(); }

std::vector<uint8_t> Model::CreateCodeCache() {
  return impl_->host.Run(Clock::now() + impl_->options.load_timeout, [&](JsScope& s) {
    std::unique_ptr<v8::ScriptCompiler::CachedData> data(
        v8::ScriptCompiler::CreateCodeCache(impl_->script.Get(s.isolate)));
    if (!data) return std::vector<uint8_t>();
    return std::vector<uint8_t>(data->data, data->data + data->length);
  });
}

DenseMatrix Model::Predict(DenseMatrixView input) { return Predict(&input, 1); }

DenseMatrix Model::Predict(const std::vector<DenseMatrixView>& parts) { return Predict(parts.data(), parts.size()); }

DenseMatrix Model::Predict(const DenseMatrixView* parts, size_t count) {
  return impl_->OneErrorType("predict", [&] { return impl_->Predict(parts, count); });
}

DenseMatrix Model::Impl::Predict(const DenseMatrixView* parts, size_t count) {
  size_t rows = 0;
  const size_t cols = count > 0 ? parts[0].cols() : 0;
  for (size_t i = 0; i < count; ++i) {
    if (info.input_cols >= 0 && static_cast<int64_t>(parts[i].cols()) != info.input_cols) {
      Fail(ErrorKind::kShape, "input has " + std::to_string(parts[i].cols()) + " columns; the bundle expects " +
                                  std::to_string(info.input_cols));
    }
    if (parts[i].cols() != cols) {
      Fail(ErrorKind::kShape, "inputs of one call have " + std::to_string(cols) + " and " +
                                  std::to_string(parts[i].cols()) + " columns");
    }
    if (parts[i].rows() > 0 && parts[i].data() == nullptr) Fail(ErrorKind::kShape, "input data is null");
    rows += parts[i].rows();
  }
  if (info.max_rows >= 0 && static_cast<int64_t>(rows) != info.max_rows) {
    Fail(ErrorKind::kShape, "input has " + std::to_string(rows) + " rows; the bundle's inputShape fixes " +
                                std::to_string(info.max_rows));
  }
  if (rows == 0) return DenseMatrix(0, info.output_cols > 0 ? static_cast<size_t>(info.output_cols) : 0);
  if (native_direct) return PredictNative(parts, count, rows, cols);
  const Clock::time_point deadline = Clock::now() + options.predict_timeout;
  return host.Run(deadline, [&](JsScope& s) {
    v8::TryCatch try_catch(s.isolate);  // one for all of predict's JS, as Load has
    return info.contract == BundleContract::kV1 ? PredictV1(s, parts, count, rows, cols, deadline)
                                                : PredictLegacy(s, parts, count, rows, cols);
  });
}

}  // namespace tfjs_run
