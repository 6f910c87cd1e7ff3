// Native execution of a bundle's model (runtime/src/native): reading what the bundle offers,
// compiling it, checking it against tfjs at load, and predicting with it.
#include <cmath>
#include <cstring>

#include "model_impl.h"
#include "native/compile.h"

namespace tfjs_run {

using internal::IntOr;

namespace {
constexpr size_t kMaxArtifactString = native::kMaxTopologyBytes;
constexpr size_t kSelfCheckRows = 7;  // sample rows, or rows of a fixed pattern
constexpr double kSelfCheckTolerance = 1e-4;

// A string field of at most kMaxArtifactString UTF-8 bytes; false if absent, another type or
// longer.
bool BoundedString(JsScope& s, v8::Local<v8::Object> obj, std::string_view key, std::string& out) {
  v8::Local<v8::Value> v = s.Get(obj, key);
  if (!v->IsString() || static_cast<size_t>(v.As<v8::String>()->Length()) > kMaxArtifactString) return false;
  out = s.ToString(v);
  return out.size() <= kMaxArtifactString;
}
}  // namespace

std::unique_ptr<native::Plan> Model::Impl::CompileNative(JsScope& s, v8::Local<v8::Object> b, bool& wrapped) {
  v8::Local<v8::Value> fn = s.Get(b, "nativeArtifacts");
  if (!fn->IsFunction()) {
    throw native::CompileError("the bundle offers no model to compile (bundled by an older model-bundler, or by "
                               "hand; re-bundle it)", true);
  }
  v8::TryCatch try_catch(s.isolate);
  v8::Local<v8::Value> a;
  if (!fn.As<v8::Function>()->Call(s.context, b, 0, nullptr).ToLocal(&a)) {
    if (host.timed_out()) Fail(ErrorKind::kLoadTimeout, "nativeArtifacts() ran past the load deadline");
    FailJs(ErrorKind::kContract, "nativeArtifacts() threw: ", host.Describe(s, try_catch));
  }
  if (a->IsNullOrUndefined()) {
    throw native::CompileError("the model has several inputs or outputs, or the app module declares its own "
                               "input or output width", true);
  }
  if (!a->IsObject()) native::Invalid("nativeArtifacts() did not return an object");
  v8::Local<v8::Object> o = a.As<v8::Object>();
  native::ModelArtifacts artifacts;
  if (!BoundedString(s, o, "format", artifacts.format) || !BoundedString(s, o, "topology", artifacts.topology_json) ||
      !BoundedString(s, o, "weightSpecs", artifacts.weight_specs_json)) {
    native::Invalid("nativeArtifacts() lacks format, topology or weightSpecs as strings of at most " +
                    std::to_string(kMaxArtifactString >> 20) + " MiB");
  }
  v8::Local<v8::Value> data = s.Get(o, "weightData");
  if (!data->IsArrayBuffer()) native::Invalid("nativeArtifacts().weightData is not an ArrayBuffer");
  std::shared_ptr<v8::BackingStore> store = data.As<v8::ArrayBuffer>()->GetBackingStore();
  artifacts.weight_data.assign(static_cast<const char*>(store->Data()), store->ByteLength());
  v8::Local<v8::Value> dims = s.Get(o, "inputDims");
  if (dims->IsArray() && dims.As<v8::Array>()->Length() <= native::kMaxRank) {
    for (uint32_t i = 0; i < dims.As<v8::Array>()->Length(); ++i) {
      v8::Local<v8::Value> d;
      const int64_t n = dims.As<v8::Array>()->Get(s.context, i).ToLocal(&d) ? IntOr(d, -1) : -1;
      if (n <= 0) native::Invalid("nativeArtifacts().inputDims is not a list of positive integers");
      artifacts.input_dims.push_back(n);
    }
  }
  wrapped = s.Get(o, "wrapped")->IsTrue();
  if (host.timed_out()) Fail(ErrorKind::kLoadTimeout, "reading nativeArtifacts() ran past the load deadline");
  std::unique_ptr<native::Plan> compiled = native::Compile(artifacts);
  // Wrapped, the app's steps change the widths: runNative checks what it is given instead.
  if (!wrapped && (compiled->input_cols() != info.input_cols || compiled->output_cols() != info.output_cols)) {
    native::Invalid("the compiled model takes " + std::to_string(compiled->input_cols()) + " and gives " +
                    std::to_string(compiled->output_cols()) + " values per row; the bundle declares " +
                    std::to_string(info.input_cols) + " and " + std::to_string(info.output_cols));
  }
  return compiled;
}

bool Model::Impl::AgreesWithTfjs(JsScope& s, native::Plan& compiled, v8::Local<v8::Object> b, bool wrapped,
                                 Clock::time_point deadline, std::string& why) {
  const size_t cols = static_cast<size_t>(info.input_cols);
  std::vector<float> rows = info.sample_input;
  if (rows.empty()) {  // a fixed pattern in [-1, 1], and a row of zeros
    uint32_t x = 12345;
    rows.resize(kSelfCheckRows * cols);
    for (size_t i = 0; i + cols < rows.size(); ++i) {
      x = x * 1664525u + 1013904223u;
      rows[i] = static_cast<float>(x >> 8) / static_cast<float>(1 << 23) - 1.0f;
    }
  }
  const size_t n = rows.size() / cols;
  if (options.max_buffer_mb != 0 && compiled.ScratchFloats(n) * sizeof(float) > (options.max_buffer_mb << 20)) {
    native::Invalid("the compiled model needs more scratch for " + std::to_string(n) + " rows than the " +
                    std::to_string(options.max_buffer_mb) + " MiB buffer budget");
  }
  if (info.max_rows >= 0 && static_cast<int64_t>(n) != info.max_rows) return true;  // a fixed batch: not probed
  const DenseMatrixView view(rows.data(), n, cols);
  DenseMatrix expected = PredictV1(s, &view, 1, n, cols, deadline);
  DenseMatrix got(n, static_cast<size_t>(info.output_cols));
  if (wrapped) {  // the same predict(), its model step now native
    InstallRunNative(s, b, true);
    got = PredictV1(s, &view, 1, n, cols, deadline);
  } else {
    compiled.Run(rows.data(), n, got.data());
  }
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < got.cols(); ++c) {
      const double e = expected.at(r, c), g = got.at(r, c);
      if (!(std::abs(e - g) <= kSelfCheckTolerance * (1 + std::abs(e)))) {
        why = "the native result differs from tfjs's at load (row " + std::to_string(r) + ", column " +
              std::to_string(c) + ": " + std::to_string(g) + " against " + std::to_string(e) + ")";
        return false;
      }
    }
  }
  return true;
}

void Model::Impl::LoadNative(JsScope& s, v8::Local<v8::Object> b, Clock::time_point deadline) {
  if (options.model_exec == ModelExec::kTfjs) {
    info.model_exec_note = "--model-exec tfjs";
    return;
  }
  std::string why;
  try {
    bool wrapped = false;
    std::unique_ptr<native::Plan> compiled = CompileNative(s, b, wrapped);
    plan = std::move(compiled);  // runNative reads it while the check runs
    if (AgreesWithTfjs(s, *plan, b, wrapped, deadline, why)) {
      native_direct = !wrapped;
      info.model_exec = "native";
      info.model_exec_note = wrapped ? "the app's pre/post-processing in tfjs around " + plan->Describe() : plan->Describe();
      return;
    }
    InstallRunNative(s, b, false);
  } catch (const native::CompileError& e) {
    why = e.what();
  } catch (const Error& e) {
    // predict() failed with the native model step installed: unless the isolate is broken
    // (a deadline, the memory budget), take it out again and stay in tfjs.
    if (host.timed_out() || !host.memory_error().empty()) throw;
    why = std::string("predict() failed with the native model step: ") + e.what();
    InstallRunNative(s, b, false);
  }
  plan.reset();
  if (options.model_exec == ModelExec::kNative) {
    Fail(ErrorKind::kContract, "the model cannot run natively (--model-exec native): " + why);
  }
  info.model_exec_note = why;
  host.Log(LogLevel::kDebug, "the model runs in tfjs: " + why);
}

// bundle.runNative(x: Float32Array, rows): the plan on rows x input_cols values, as a new
// Float32Array of rows x output_cols. Everything it is given is checked: the bundle is untrusted.
void Model::Impl::RunNativeCallback(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  auto* impl = static_cast<Model::Impl*>(args.Data().As<v8::External>()->Value());
  auto fail = [&](const char* message) {
    isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8(isolate, message).ToLocalChecked()));
  };
  native::Plan* plan = impl->plan.get();
  if (!plan) return fail("runNative: no native model");
  if (args.Length() < 2 || !args[0]->IsFloat32Array() || !args[1]->IsNumber()) {
    return fail("runNative(x, rows) takes a Float32Array and a row count");
  }
  const int64_t rows = IntOr(args[1], -1);
  v8::Local<v8::Float32Array> x = args[0].As<v8::Float32Array>();
  if (rows < 1 || rows > (int64_t{1} << 24) ||
      x->Length() != static_cast<size_t>(rows) * static_cast<size_t>(plan->input_cols())) {
    return fail("runNative: x must hold rows x the model's input values");
  }
  const size_t n = static_cast<size_t>(rows);
  const size_t out_bytes = n * static_cast<size_t>(plan->output_cols()) * sizeof(float);
  const size_t budget = impl->options.max_buffer_mb << 20;
  if (!impl->host.BufferFits(out_bytes) || (budget != 0 && plan->ScratchFloats(n) * sizeof(float) > budget)) {
    isolate->ThrowException(v8::Exception::RangeError(
        v8::String::NewFromUtf8(isolate, "runNative: the call does not fit in the buffer budget").ToLocalChecked()));
    return;
  }
  std::shared_ptr<v8::BackingStore> in_store = x->Buffer()->GetBackingStore();
  const float* in = reinterpret_cast<const float*>(static_cast<const char*>(in_store->Data()) + x->ByteOffset());
  std::unique_ptr<v8::BackingStore> out_store = v8::ArrayBuffer::NewBackingStore(isolate, out_bytes);
  try {
    plan->Run(in, n, static_cast<float*>(out_store->Data()));
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  v8::Local<v8::ArrayBuffer> out = v8::ArrayBuffer::New(isolate, std::move(out_store));
  args.GetReturnValue().Set(v8::Float32Array::New(out, 0, n * static_cast<size_t>(plan->output_cols())));
}

void Model::Impl::InstallRunNative(JsScope& s, v8::Local<v8::Object> b, bool installed) {
  v8::Local<v8::Value> value = v8::Null(s.isolate);
  if (installed) {
    v8::Local<v8::Function> fn;
    if (!v8::Function::New(s.context, &RunNativeCallback, v8::External::New(s.isolate, this)).ToLocal(&fn)) {
      native::Invalid("runNative could not be created");
    }
    value = fn;
  }
  if (!b->Set(s.context, s.Str("runNative"), value).FromMaybe(false)) {
    native::Invalid("tfjsRunBundle.runNative could not be set");
  }
}

DenseMatrix Model::Impl::PredictNative(const DenseMatrixView* parts, size_t count, size_t rows, size_t cols) {
  // The executor's memory counts against the same buffer budget as the bundle's ArrayBuffers.
  const size_t bytes = (plan->ScratchFloats(rows) + (count > 1 ? rows * cols : 0)) * sizeof(float);
  if (options.max_buffer_mb != 0 && bytes > (options.max_buffer_mb << 20)) {
    Fail(ErrorKind::kMemory, "a call of " + std::to_string(rows) + " rows needs " + std::to_string(bytes >> 20) +
                                 " MiB of native scratch, over the " + std::to_string(options.max_buffer_mb) +
                                 " MiB buffer budget");
  }
  const float* input = parts[0].data();
  std::vector<float> joined;
  if (count > 1) {
    joined.reserve(rows * cols);
    for (size_t i = 0; i < count; ++i) joined.insert(joined.end(), parts[i].data(), parts[i].data() + parts[i].size());
    input = joined.data();
  }
  DenseMatrix out(rows, static_cast<size_t>(info.output_cols));
  plan->Run(input, rows, out.data());
  return out;
}

}  // namespace tfjs_run
