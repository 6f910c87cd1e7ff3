// Model: loads a bundle into an IsolateHost (its contract is read by bundle_contract.cc), and runs predict.
#include "tfjs_run/model.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "model_impl.h"

namespace tfjs_run {

void Model::Impl::Load(const BundleSource& source) {
  // One deadline for all of loading: the top level, load() and its promise, every contract
  // field read (a getter is JS too), activeBackend(), and turning a thrown value into a message.
  const Clock::time_point deadline = Clock::now() + options.load_timeout;
  loading = true;
  loading_code = source.code;
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
    ReadContract(s, deadline);
  });
  loading_code = {};
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
  // The owner abandoned the load (ModelOptions::cancel): before it began, while the isolate was
  // made, or after its JS was done (the watchdog may not have seen it in time).
  auto cancelled = [&] { return options.cancel && options.cancel->load(); };
  auto abandoned = [&] {
    return Error(ErrorKind::kShutdown, "loading was abandoned by its owner (ModelOptions::cancel)", {}, origin);
  };
  if (cancelled()) throw abandoned();
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>(options, origin);  // a new isolate, its polyfills installed
  } catch (const Error&) {
    if (cancelled()) throw abandoned();
    throw;
  }
  impl->OneErrorType("loading", [&] { impl->Load(source); });
  if (cancelled()) throw abandoned();
  impl->loading = false;
  impl->load_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

const BundleInfo& Model::info() const { return impl_->info; }
bool Model::code_cache_accepted() const { return impl_->code_cache_accepted; }
double Model::load_ms() const { return impl_->load_ms; }

bool Model::broken() const { return impl_->host.broken(); }
bool Model::runs_without_js() const { return impl_->native_direct; }
size_t Model::memory_bytes() const { return impl_->host.MemoryBytes(); }

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
