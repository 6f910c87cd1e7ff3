// Native execution of a bundle's model (runtime/src/native): reading what the bundle offers,
// compiling it, checking it against tfjs at load, and predicting with it.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <new>
#include <string_view>

#include "check_rows.h"
#include "check_verdicts.h"
#include "model_impl.h"
#include "native/base64.h"
#include "native/compile.h"

namespace tfjs_run {

using internal::IntOr;

namespace {
constexpr size_t kMaxArtifactString = native::kMaxTopologyBytes;
constexpr uint32_t kMaxOutputs = 1024;  // names in nativeArtifacts().outputNames
constexpr int kMaxOutputName = 1024;   // characters in one of them
constexpr size_t kCheckScratchFloats = size_t{64} << 20;  // the check's memory bound, per model
// The check's time bound: tfjs runs each generated row as a whole inference, which for an image
// model costs about as much as the model's start-up. Beyond this many floats of scratch, summed
// over the generated rows, a model gets fewer of them per magnitude, down to one (CheckRowsPerScale).
constexpr size_t kCheckWorkFloats = size_t{4} << 20;
constexpr double kSelfCheckTolerance = 1e-4;

// How far a native value `g` is from tfjs's `e`, in units of the tolerance (over 1: too far).
// The tolerance grows with the value and with the row's largest input (`scale`): float32 sums
// in another order differ by about the size of their terms, and the terms grow with the input.
double Excess(double e, double g, double scale) {
  if (std::isnan(e) || std::isnan(g)) return std::isnan(e) && std::isnan(g) ? 0 : INFINITY;
  if (e == g) return 0;  // equal infinities too
  if (std::isinf(e) || std::isinf(g)) return INFINITY;
  return std::abs(e - g) / (kSelfCheckTolerance * (1 + std::abs(e) + scale));
}

// The worst disagreement of `got` with `expected` on `rows` of `cols` inputs, and where it is.
struct Difference {
  double excess = 0;
  size_t row = 0, col = 0;
  double got = 0, expected = 0;
};
Difference WorstDifference(const DenseMatrix& got, const DenseMatrix& expected, const std::vector<float>& rows,
                           size_t cols) {
  Difference worst;
  for (size_t r = 0; r < got.rows(); ++r) {
    double scale = 0;
    for (size_t c = 0; c < cols; ++c) scale = std::max(scale, std::abs(static_cast<double>(rows[r * cols + c])));
    for (size_t c = 0; c < got.cols(); ++c) {
      const double excess = Excess(expected.at(r, c), got.at(r, c), scale);
      if (excess > worst.excess) worst = Difference{excess, r, c, got.at(r, c), expected.at(r, c)};
    }
  }
  return worst;
}
}  // namespace

// A field of the bundle's artifacts object: a getter runs bundle JS, so each read is checked
// against the load deadline before its result is looked at.
v8::Local<v8::Value> Model::Impl::ArtifactField(JsScope& s, v8::Local<v8::Object> obj, std::string_view key) {
  v8::Local<v8::Value> v = s.Get(obj, key);
  CheckLoadDeadline("reading nativeArtifacts()." + std::string(key));
  return v;
}

// A string field of at most kMaxArtifactString UTF-8 bytes; false if absent, another type or
// longer.
bool Model::Impl::BoundedString(JsScope& s, v8::Local<v8::Object> obj, std::string_view key, std::string& out) {
  v8::Local<v8::Value> v = ArtifactField(s, obj, key);
  if (!v->IsString() || static_cast<size_t>(v.As<v8::String>()->Length()) > kMaxArtifactString) return false;
  out = s.ToString(v);
  CheckLoadDeadline("reading nativeArtifacts()." + std::string(key));
  return out.size() <= kMaxArtifactString;
}

std::vector<std::string> Model::Impl::OutputNames(JsScope& s, v8::Local<v8::Object> artifacts) {
  v8::Local<v8::Value> list = ArtifactField(s, artifacts, "outputNames");
  if (list->IsNullOrUndefined()) return {};
  if (!list->IsArray() || list.As<v8::Array>()->Length() > kMaxOutputs) {
    native::Invalid("nativeArtifacts().outputNames is not a list of at most " + std::to_string(kMaxOutputs) + " names");
  }
  std::vector<std::string> names;
  for (uint32_t i = 0; i < list.As<v8::Array>()->Length(); ++i) {
    v8::Local<v8::Value> name;
    const bool got = list.As<v8::Array>()->Get(s.context, i).ToLocal(&name);
    CheckLoadDeadline("reading nativeArtifacts().outputNames");
    if (!got || !name->IsString() || name.As<v8::String>()->Length() > kMaxOutputName) {
      native::Invalid("nativeArtifacts().outputNames is not a list of names of at most " +
                      std::to_string(kMaxOutputName) + " characters");
    }
    names.push_back(s.ToString(name));
  }
  return names;
}

// The weights: `weightsBase64` as bundled (decoded here, not a second time in JS), or, from
// bundles before it, `weightData` as an ArrayBuffer (read only without weightsBase64: bundles
// offer it too, as a getter that decodes, for runtimes before it).
std::string Model::Impl::WeightData(JsScope& s, v8::Local<v8::Object> o) {
  v8::Local<v8::Value> text = ArtifactField(s, o, "weightsBase64");
  if (!text->IsString()) {
    v8::Local<v8::Value> data = ArtifactField(s, o, "weightData");
    if (!data->IsArrayBuffer()) {
      native::Invalid("nativeArtifacts() offers neither weightsBase64 (a string) nor weightData (an ArrayBuffer)");
    }
    std::shared_ptr<v8::BackingStore> store = data.As<v8::ArrayBuffer>()->GetBackingStore();
    return std::string(static_cast<const char*>(store->Data()), store->ByteLength());
  }
  v8::Local<v8::String> str = text.As<v8::String>();
  // Base64 is ASCII: a string V8 holds in two bytes a character is not base64.
  if (!str->IsOneByte() && !str->ContainsOnlyOneByte()) native::Invalid("nativeArtifacts().weightsBase64 is not base64");
  std::string base64(static_cast<size_t>(str->Length()), '\0');
  str->WriteOneByte(s.isolate, reinterpret_cast<uint8_t*>(base64.data()), 0, str->Length(), v8::String::NO_NULL_TERMINATION);
  CheckLoadDeadline("reading nativeArtifacts().weightsBase64");
  std::optional<std::string> bytes = native::DecodeBase64(base64);
  if (!bytes) native::Invalid("nativeArtifacts().weightsBase64 is not base64");
  return std::move(*bytes);
}

// nativeArtifacts().checkAnswers: {perScale, rows, base64} or none. Offered, it must fit the
// bundle: as many rows as its sample rows, the zeros and perScale rows per magnitude make, each
// as wide as the bundle's output.
Model::Impl::BundledAnswers Model::Impl::CheckAnswers(JsScope& s, v8::Local<v8::Object> o) {
  BundledAnswers answers;
  v8::Local<v8::Value> c = ArtifactField(s, o, "checkAnswers");
  if (c->IsNullOrUndefined()) return answers;
  const size_t cols = static_cast<size_t>(std::max<int64_t>(1, info.input_cols));
  const size_t sample_rows = info.sample_input.size() / cols;
  if (!c->IsObject()) native::Invalid("nativeArtifacts().checkAnswers is not an object");
  v8::Local<v8::Object> obj = c.As<v8::Object>();
  const int64_t per_scale = IntOr(ArtifactField(s, obj, "perScale"), -1);
  const int64_t rows = IntOr(ArtifactField(s, obj, "rows"), -1);
  if (per_scale < 1 || per_scale > static_cast<int64_t>(internal::kCheckRowsPerScale) ||
      rows != static_cast<int64_t>(sample_rows + 1 + static_cast<size_t>(per_scale) * internal::kCheckScaleCount)) {
    native::Invalid("nativeArtifacts().checkAnswers does not answer the check's rows (perScale " + std::to_string(per_scale) +
                    ", rows " + std::to_string(rows) + ")");
  }
  std::string base64;
  if (!BoundedString(s, obj, "base64", base64)) native::Invalid("nativeArtifacts().checkAnswers.base64 is not a bounded string");
  std::optional<std::string> bytes = native::DecodeBase64(base64);
  const size_t floats = static_cast<size_t>(rows) * static_cast<size_t>(std::max<int64_t>(0, info.output_cols));
  if (!bytes || bytes->size() != floats * sizeof(float)) {
    native::Invalid("nativeArtifacts().checkAnswers.base64 is not " + std::to_string(floats) + " float32 values in base64");
  }
  answers.per_scale = static_cast<size_t>(per_scale);
  answers.rows = static_cast<size_t>(rows);
  answers.values.resize(floats);
  if (floats > 0) std::memcpy(answers.values.data(), bytes->data(), bytes->size());
  return answers;
}

std::unique_ptr<native::Plan> Model::Impl::CompileNative(JsScope& s, v8::Local<v8::Object> b, bool warm_up_pending,
                                                         bool& wrapped, BundledAnswers& answers) {
  v8::Local<v8::Value> fn = s.Get(b, "nativeArtifacts");
  if (!fn->IsFunction()) {
    throw native::CompileError("the bundle offers no model to compile (bundled by an older model-bundler, or by "
                               "hand; re-bundle it)", true);
  }
  v8::Local<v8::Value> a = CallJs(s, ErrorKind::kContract, "nativeArtifacts()", [&] {
    return fn.As<v8::Function>()->Call(s.context, b, 0, nullptr);
  });
  if (a->IsNullOrUndefined()) {  // bundles before the reason was given
    throw native::CompileError("the model has several inputs or outputs, or the app module declares its own "
                               "input or output width", true);
  }
  if (a->IsString()) {  // why the bundle keeps its model in tfjs, in its words, bounded
    constexpr int kMaxReason = 300;
    std::string why = a.As<v8::String>()->Length() <= kMaxReason ? s.ToString(a) : "";
    throw native::CompileError(why.empty() ? "the bundle keeps its model in tfjs (its reason is empty or too long)" : why,
                               true);
  }
  if (!a->IsObject()) native::Invalid("nativeArtifacts() did not return an object");
  v8::Local<v8::Object> o = a.As<v8::Object>();
  native::ModelArtifacts artifacts;
  if (!BoundedString(s, o, "format", artifacts.format) || !BoundedString(s, o, "topology", artifacts.topology_json) ||
      !BoundedString(s, o, "weightSpecs", artifacts.weight_specs_json)) {
    native::Invalid("nativeArtifacts() lacks format, topology or weightSpecs as strings of at most " +
                    std::to_string(kMaxArtifactString >> 20) + " MiB");
  }
  artifacts.weight_data = WeightData(s, o);
  v8::Local<v8::Value> dims = ArtifactField(s, o, "inputDims");
  if (dims->IsArray() && dims.As<v8::Array>()->Length() <= native::kMaxRank) {
    for (uint32_t i = 0; i < dims.As<v8::Array>()->Length(); ++i) {
      v8::Local<v8::Value> d;
      const int64_t n = dims.As<v8::Array>()->Get(s.context, i).ToLocal(&d) ? IntOr(d, -1) : -1;
      CheckLoadDeadline("reading nativeArtifacts().inputDims");
      if (n <= 0) native::Invalid("nativeArtifacts().inputDims is not a list of positive integers");
      artifacts.input_dims.push_back(n);
    }
  }
  artifacts.output_names = OutputNames(s, o);
  for (auto [key, out] : {std::pair{"standardizeMean", &artifacts.standardize_mean},
                          std::pair{"standardizeStd", &artifacts.standardize_std}}) {
    v8::Local<v8::Value> v = ArtifactField(s, o, key);
    if (v->IsNullOrUndefined()) continue;
    if (!v->IsArrayBuffer() || v.As<v8::ArrayBuffer>()->ByteLength() % sizeof(float) != 0 ||
        v.As<v8::ArrayBuffer>()->ByteLength() > kMaxArtifactString) {
      native::Invalid("nativeArtifacts()." + std::string(key) + " is not the ArrayBuffer of a Float32Array");
    }
    std::shared_ptr<v8::BackingStore> values = v.As<v8::ArrayBuffer>()->GetBackingStore();
    out->resize(values->ByteLength() / sizeof(float));
    if (!out->empty()) std::memcpy(out->data(), values->Data(), values->ByteLength());
  }
  if (!ArtifactField(s, o, "intInput")->IsNullOrUndefined() && !BoundedString(s, o, "intInput", artifacts.int_input)) {
    native::Invalid("nativeArtifacts().intInput is not a dtype's name");
  }
  wrapped = ArtifactField(s, o, "wrapped")->IsTrue();
  if (wrapped && !(artifacts.standardize_mean.empty() && artifacts.standardize_std.empty())) {
    native::Invalid("nativeArtifacts() offers a standardize for a wrapped model (its app's steps run it in tfjs)");
  }
  if (wrapped && warm_up_pending) native::Invalid("nativeArtifacts() says wrapped, but load() deferred its warm-up");
  CheckLoadDeadline("reading nativeArtifacts()");
  std::unique_ptr<native::Plan> compiled = native::Compile(artifacts);
  // The warm-up that would tell the output's width is deferred: the plan's stands in while the
  // check runs; the bundle's predict() in tfjs is held to it there, and finishLoad() after.
  if (warm_up_pending) info.output_cols = compiled->output_cols();
  answers = CheckAnswers(s, o);
  // Wrapped, the app's steps change the widths: runNative checks what it is given instead.
  if (!wrapped && (compiled->input_cols() != info.input_cols || compiled->output_cols() != info.output_cols)) {
    native::Invalid("the compiled model takes " + std::to_string(compiled->input_cols()) + " and gives " +
                    std::to_string(compiled->output_cols()) + " values per row; the bundle declares " +
                    std::to_string(info.input_cols) + " and " + std::to_string(info.output_cols));
  }
  return compiled;
}

bool Model::Impl::AgreesWithTfjs(JsScope& s, native::Plan& compiled, v8::Local<v8::Object> b, bool wrapped,
                                 const BundledAnswers& answers, Clock::time_point deadline, std::string& why,
                                 bool& by_answers) {
  by_answers = false;
  const size_t cols = static_cast<size_t>(info.input_cols);
  const size_t sample_rows = info.sample_input.size() / cols;
  const size_t budget = (options.max_buffer_mb << 20) / sizeof(float);
  const size_t per_scale = internal::CheckRowsPerScale(
      sample_rows, compiled.ScratchFloats(1), budget == 0 ? kCheckScratchFloats : std::min(kCheckScratchFloats, budget),
      kCheckWorkFloats, static_cast<size_t>(std::max<int64_t>(0, info.max_rows)));
  std::vector<float> rows = internal::MakeCheckRows(info.sample_input, cols, per_scale);
  if (const auto& ints = compiled.int_input()) {  // integers in the input's range, as rows of it must be
    for (float& v : rows) v = static_cast<float>(std::clamp<double>(native::RoundHalfEven(v), ints->lo, ints->hi));
  }
  if (info.max_rows >= 0) {  // a fixed batch: the first rows of that many, if there are enough
    const size_t batch = static_cast<size_t>(info.max_rows) * cols;
    if (rows.size() < batch) {
      why = "the bundle's fixed batch of " + std::to_string(info.max_rows) + " rows is more than the " +
            std::to_string(rows.size() / cols) + " rows the load-time check can try";
      return false;
    }
    rows.resize(batch);
  }
  const size_t n = rows.size() / cols;
  if (options.max_buffer_mb != 0 && compiled.ScratchFloats(n) * sizeof(float) > (options.max_buffer_mb << 20)) {
    native::Invalid("the compiled model needs more scratch for " + std::to_string(n) + " rows than the " +
                    std::to_string(options.max_buffer_mb) + " MiB buffer budget");
  }
  const DenseMatrixView view(rows.data(), n, cols);
  const size_t out_cols = static_cast<size_t>(info.output_cols);
  DenseMatrix got(n, out_cols);
  auto run_native = [&] {
    if (wrapped) {  // the same predict(), its model step now native
      InstallRunNative(s, b, true);
      got = PredictV1(s, &view, 1, n, cols, deadline);
    } else {
      RunPlan(compiled, rows.data(), n, got.data(), [&] { return Clock::now() > deadline; }, "the load-time check");
    }
  };
  DenseMatrix expected(n, out_cols);
  if (!answers.values.empty() && answers.per_scale >= per_scale) {
    // The answers model-bundler computed in tfjs cover these rows: no tfjs run here unless the
    // plan differs from them, and then tfjs decides, against the native answers already run.
    for (size_t r = 0; r < n; ++r) {
      const size_t from = internal::BundledRow(r, sample_rows, per_scale, answers.per_scale);
      std::copy_n(answers.values.data() + from * out_cols, out_cols, expected.data() + r * out_cols);
    }
    run_native();
    if (WorstDifference(got, expected, rows, cols).excess <= 1) {
      by_answers = true;
      return true;
    }
    if (wrapped) InstallRunNative(s, b, false);  // predict() in tfjs alone
    expected = PredictV1(s, &view, 1, n, cols, deadline);
    if (wrapped) InstallRunNative(s, b, true);
  } else {
    expected = PredictV1(s, &view, 1, n, cols, deadline);  // tfjs's predict() here: the reference
    run_native();
  }
  const Difference worst = WorstDifference(got, expected, rows, cols);
  if (worst.excess <= 1) return true;
  why = "the native result differs from tfjs's at load on " +
        std::string(worst.row < sample_rows ? "sample row " + std::to_string(worst.row)
                                            : "generated row " + std::to_string(worst.row - sample_rows)) +
        " of " + std::to_string(n) + ", column " + std::to_string(worst.col) + ": " + std::to_string(worst.got) +
        " against tfjs's " + std::to_string(worst.expected);
  return false;
}

void Model::Impl::RunPlan(native::Plan& compiled, const float* input, size_t rows, float* output,
                          const native::Plan::StopCheck& stop, const std::string& what) {
  try {
    compiled.Run(input, rows, output, stop);
  } catch (const native::RunError& e) {
    if (e.stopped) {
      Fail(loading ? ErrorKind::kLoadTimeout : ErrorKind::kTimeout,
           what + " ran past its deadline in the native model (" + e.what() + ")");
    }
    Fail(ErrorKind::kPredict, what + ": " + e.what());
  } catch (const std::bad_alloc&) {
    Fail(ErrorKind::kMemory, what + ": the native model's scratch of " + std::to_string(rows) + " rows could not be allocated");
  }
}

void Model::Impl::LoadNative(JsScope& s, v8::Local<v8::Object> b, Clock::time_point deadline, bool warm_up_pending) {
  if (options.model_exec == ModelExec::kTfjs) {
    info.model_exec_note = "--model-exec tfjs";
    return;
  }
  std::string why;
  bool accepted = false;
  bool wrapped = false;
  try {
    BundledAnswers answers;
    std::unique_ptr<native::Plan> compiled = CompileNative(s, b, warm_up_pending, wrapped, answers);
    plan = std::move(compiled);  // runNative reads it while the check runs
    // The check's rows depend on the buffer budget (CheckRowsPerScale); its outcome on the builds
    // and the CPU too, which the verdicts' key holds itself.
    const internal::CheckVerdict verdict(options.check_verdict_dir, loading_code,
                                         "max_buffer_mb " + std::to_string(options.max_buffer_mb));
    const bool remembered = verdict.Passed();
    if (remembered && wrapped) InstallRunNative(s, b, true);
    bool by_answers = false;
    if (remembered || AgreesWithTfjs(s, *plan, b, wrapped, answers, deadline, why, by_answers)) {
      if (!remembered) verdict.RememberPass();
      native_direct = !wrapped;
      info.model_exec = "native";
      info.model_exec_note = wrapped ? "the app's pre/post-processing in tfjs around " + plan->Describe() : plan->Describe();
      if (remembered) info.model_exec_note += " (the load-time check passed at an earlier load of these bytes)";
      if (by_answers) info.model_exec_note += " (the load-time check compared it with the answers model-bundler computed in tfjs)";
      accepted = true;
    } else {
      InstallRunNative(s, b, false);
    }
  } catch (const native::CompileError& e) {
    why = e.what();
  } catch (const Error& e) {
    // The check's predict() failed (with the native model step installed, when wrapped): unless
    // the isolate is broken (a deadline, the memory budget), take it out again and stay in tfjs.
    if (host.timed_out() || !host.memory_error().empty() || e.kind() == ErrorKind::kLoadTimeout) throw;
    why = std::string(wrapped ? "predict() failed with the native model step: " : "the load-time check failed: ") + e.what();
    InstallRunNative(s, b, false);
  } catch (const std::bad_alloc&) {  // a topology's tensors within bounds, but not in this memory
    why = "compiling the native model ran out of memory";
    InstallRunNative(s, b, false);
  }
  // Outside the try: a failing finishLoad() fails the load; it says nothing of the native model.
  if (accepted) {
    if (warm_up_pending) {
      const std::vector<int64_t> widths = plan->output_widths();
      FinishLoad(s, b, &widths, deadline);
      if (info.output_cols != plan->output_cols()) {
        Fail(ErrorKind::kContract, "tfjsRunBundle.finishLoad() declared " + std::to_string(info.output_cols) +
                                       " output columns for the native model's " + std::to_string(plan->output_cols()));
      }
    }
    return;
  }
  plan.reset();
  if (options.model_exec == ModelExec::kNative) {
    Fail(ErrorKind::kContract, "the model cannot run natively (--model-exec native): " + why);
  }
  if (warm_up_pending) FinishLoad(s, b, nullptr, deadline);  // the warm-up in tfjs, as load() would have
  info.model_exec_note = why;
  host.Log(LogLevel::kDebug, "the model runs in tfjs: " + why);
}

// bundle.runNative(x: Float32Array, rows): the plan on rows x input_cols values, as a new
// Float32Array of rows x output_cols. Everything it is given is checked: the bundle is untrusted.
void Model::Impl::RunNativeCallback(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  auto* impl = static_cast<Model::Impl*>(args.Data().As<v8::External>()->Value());
  // A RunError's text names the bundle's step, so it is bundle-chosen: it is cut to a bounded
  // length and converted without a check that could abort the process.
  auto fail = [&](std::string_view message) {
    constexpr size_t kMaxMessageBytes = 4096;
    v8::Local<v8::String> text;
    if (!v8::String::NewFromUtf8(isolate, message.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(std::min(message.size(), kMaxMessageBytes)))
             .ToLocal(&text)) {
      text = v8::String::NewFromUtf8Literal(isolate, "runNative failed");
    }
    isolate->ThrowException(v8::Exception::TypeError(text));
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
        v8::String::NewFromUtf8Literal(isolate, "runNative: the call does not fit in the buffer budget")));
    return;
  }
  std::shared_ptr<v8::BackingStore> in_store = x->Buffer()->GetBackingStore();
  const float* in = reinterpret_cast<const float*>(static_cast<const char*>(in_store->Data()) + x->ByteOffset());
  std::unique_ptr<v8::BackingStore> out_store = v8::ArrayBuffer::NewBackingStore(isolate, out_bytes);
  try {
    // The watchdog terminates the bundle's JS at the deadline, but not this native call: it
    // stops between steps when the watchdog has fired, and predict() then fails with kTimeout.
    plan->Run(in, n, static_cast<float*>(out_store->Data()), [impl] { return impl->host.timed_out(); });
  } catch (const native::RunError& e) {
    return fail(e.what());
  } catch (const std::bad_alloc&) {
    return fail("runNative: the native model's scratch could not be allocated");
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
  const Clock::time_point deadline = Clock::now() + options.predict_timeout;
  RunPlan(*plan, input, rows, out.data(), [deadline] { return Clock::now() > deadline; }, "predict()");
  return out;
}

}  // namespace tfjs_run
