// Model::Impl, shared by model.cc (loading, JS predict), bundle_contract.cc (reading the bundle's
// contract at load) and model_native.cc (native execution of the bundle's model). Private to the
// library.
#pragma once

#include <memory>
#include <new>
#include <string>
#include <vector>

#include "isolate_host.h"
#include "native/plan.h"
#include "tfjs_run/model.h"

namespace tfjs_run {

using internal::Clock;
using internal::IsolateHost;
using internal::JsException;
using internal::JsScope;

namespace internal {
// A JS number as an int64, or `otherwise` (null, a non-number, a non-integer, out of range).
inline int64_t IntOr(v8::Local<v8::Value> v, int64_t otherwise) {
  if (!v->IsNumber()) return otherwise;
  const double x = v.As<v8::Number>()->Value();
  return x >= 0 && x <= 1e15 && x == static_cast<double>(static_cast<int64_t>(x)) ? static_cast<int64_t>(x) : otherwise;
}
}  // namespace internal

struct Model::Impl {
  explicit Impl(const ModelOptions& options, const std::string& origin)
      : options(options), host(IsolateHost::Options{options.log, origin, options.max_heap_mb, options.max_buffer_mb, options.cancel}), origin(origin) {}

  ModelOptions options;
  IsolateHost host;
  std::string origin;
  bool loading = false;  // Load is running (a deadline then means kLoadTimeout)
  BundleInfo info;
  v8::Global<v8::UnboundScript> script;  // for CreateCodeCache
  bool code_cache_accepted = false;
  double load_ms = 0;
  v8::Global<v8::Object> bundle;        // v1: globalThis.tfjsRunBundle
  v8::Global<v8::Function> predict_fn;  // v1: bundle.predict; legacy: global predict
  std::unique_ptr<native::Plan> plan;   // set when the model runs natively
  bool native_direct = false;           // predict runs the plan alone (no app steps in JS)
  std::string_view loading_code;        // the bundle text, while Load runs (for the check's verdicts)

  [[noreturn]] void Fail(ErrorKind kind, const std::string& message, const std::string& stack = {}) const {
    if (host.cancelled()) {
      // Whatever failed after the owner abandoned the work failed because its JS was stopped.
      throw Error(ErrorKind::kShutdown,
                  std::string(loading ? "loading" : "predict()") + " was abandoned by its owner (ModelOptions::cancel)",
                  {}, info.name.empty() ? origin : info.name, info.version);
    }
    if (!host.memory_error().empty() && kind != ErrorKind::kMemory) {
      // Whatever failed after the memory budget stopped the JS failed because of that.
      throw Error(ErrorKind::kMemory,
                  std::string(loading ? "loading was terminated: " : "predict() was terminated: ") + host.memory_error(),
                  {}, info.name.empty() ? origin : info.name, info.version);
    }
    if (host.timed_out() && kind != ErrorKind::kLoadTimeout && kind != ErrorKind::kTimeout) {
      // Whatever failed after the watchdog fired (an empty field, a missing function) failed
      // because its JS was terminated: report the deadline, not a contract error.
      throw Error(loading ? ErrorKind::kLoadTimeout : ErrorKind::kTimeout,
                  std::string(loading ? "loading ran past the load deadline (" : "predict ran past its deadline (") +
                      message + ")",
                  stack, info.name.empty() ? origin : info.name, info.version);
    }
    throw Error(kind, message, stack, info.name.empty() ? origin : info.name, info.version);
  }
  [[noreturn]] void FailJs(ErrorKind kind, const std::string& what, const JsException& e) const {
    Fail(kind, what + e.message, e.stack);
  }
  // Runs `body`, making anything it throws other than an Error into one (the runtime throws one
  // type): std::bad_alloc is kMemory; any other exception, from a library or a bug, kInternal,
  // with `doing` ("loading", "predict") and its message.
  template <typename F>
  decltype(auto) OneErrorType(const char* doing, F&& body) const {
    try {
      return body();
    } catch (const Error&) {
      throw;
    } catch (const std::bad_alloc&) {
      Fail(ErrorKind::kMemory, std::string(doing) + " ran out of host memory");
    } catch (const std::exception& e) {
      Fail(ErrorKind::kInternal, std::string(doing) + " failed inside the runtime: " + e.what());
    } catch (...) {
      Fail(ErrorKind::kInternal, std::string(doing) + " failed inside the runtime with an exception of unknown type");
    }
  }
  [[noreturn]] void FailTimeout() const {
    Fail(ErrorKind::kTimeout, "predict() ran past its " + std::to_string(options.predict_timeout.count()) +
                                  " ms deadline and was terminated");
  }
  // Past the load deadline (the watchdog terminated the JS): kLoadTimeout "<what> ran past the load deadline".
  void CheckLoadDeadline(const std::string& what) const {
    if (host.timed_out()) Fail(ErrorKind::kLoadTimeout, what + " ran past the load deadline");
  }
  // Calls bundle JS: `call` returns a v8::MaybeLocal, empty when the JS threw or was terminated. Returns its value;
  // without one, throws: past the deadline, kLoadTimeout "<what> ran past the load deadline" (`kind` kPredict:
  // FailTimeout(), predict()'s deadline); else `kind` with "<what> threw: " and what the JS threw.
  template <typename Call>
  v8::Local<v8::Value> CallJs(JsScope& s, ErrorKind kind, const std::string& what, Call&& call) {
    v8::TryCatch try_catch(s.isolate);
    v8::Local<v8::Value> result;
    if (call().ToLocal(&result)) return result;
    if (kind == ErrorKind::kPredict && host.timed_out()) FailTimeout();
    CheckLoadDeadline(what);
    FailJs(kind, what + " threw: ", host.Describe(s, try_catch));
  }

  void Load(const BundleSource& source);
  // The bundle contract (bundle_contract.cc): after the top level ran, finds contract v1 or the
  // legacy one in the globals and loads the bundle by it, filling `info`.
  void ReadContract(JsScope& s, Clock::time_point deadline);
  void LoadV1(JsScope& s, v8::Local<v8::Object> bundle, Clock::time_point deadline);
  void LoadLegacy(JsScope& s, v8::Local<v8::Function> predict, v8::Local<v8::Function> is_loaded,
                  Clock::time_point deadline);
  // Waits for `value` if it is a promise; returns its settled value or throws `kind`.
  v8::Local<v8::Value> Settle(JsScope& s, v8::Local<v8::Value> value, ErrorKind kind, const std::string& what,
                              Clock::time_point deadline);
  DenseMatrix PredictV1(JsScope& s, const DenseMatrixView* parts, size_t count, size_t rows, size_t cols,
                        Clock::time_point deadline);
  void ReadShapes(JsScope& s, v8::Local<v8::Object> bundle, bool output);
  // For a bundle whose load() deferred its warm-up: finishLoad(widths) with the native plan's
  // output widths, or finishLoad() to warm up in tfjs; then reads the output's shape and layout.
  void FinishLoad(JsScope& s, v8::Local<v8::Object> bundle, const std::vector<int64_t>* widths,
                  Clock::time_point deadline);
  void ReadSampleInput(JsScope& s, v8::Local<v8::Object> bundle);
  void ReadLayout(JsScope& s, v8::Local<v8::Object> bundle);
  void ReadFeatureNames(JsScope& s, v8::Local<v8::Object> bundle);
  // Compiles the bundle's model for native execution as options.model_exec asks (ModelExec).
  // `warm_up_pending`: load() deferred its warm-up; the output's width is the plan's until the
  // check decides, then FinishLoad is called either way.
  void LoadNative(JsScope& s, v8::Local<v8::Object> bundle, Clock::time_point deadline, bool warm_up_pending);
  // The answers model-bundler computed in tfjs for the check's rows (nativeArtifacts().checkAnswers,
  // model-bundler/lib/check-answers.js): `rows` rows of the bundle's output width, for the rows made
  // with `per_scale` generated rows per magnitude (check_rows.h). `values` empty: none offered.
  struct BundledAnswers {
    size_t per_scale = 0;
    size_t rows = 0;
    std::vector<float> values;
  };
  // `wrapped`: the app pre- or post-processes in JS around the model (runNative is used then).
  std::unique_ptr<native::Plan> CompileNative(JsScope& s, v8::Local<v8::Object> bundle, bool warm_up_pending,
                                              bool& wrapped, BundledAnswers& answers);
  BundledAnswers CheckAnswers(JsScope& s, v8::Local<v8::Object> artifacts);
  std::string WeightData(JsScope& s, v8::Local<v8::Object> artifacts);
  // A field of nativeArtifacts()'s object (its getter is bundle JS): kLoadTimeout past the
  // deadline. BoundedString: a string field of bounded size, false if it is none.
  v8::Local<v8::Value> ArtifactField(JsScope& s, v8::Local<v8::Object> obj, std::string_view key);
  bool BoundedString(JsScope& s, v8::Local<v8::Object> obj, std::string_view key, std::string& out);
  // nativeArtifacts().outputNames: a bounded list of bounded names, or none (empty).
  std::vector<std::string> OutputNames(JsScope& s, v8::Local<v8::Object> artifacts);
  // Runs the plan; every native failure becomes an Error naming `what`: kTimeout (kLoadTimeout
  // while loading) when `stop` stopped it, kMemory when its scratch could not be allocated,
  // kPredict when a kernel failed.
  void RunPlan(native::Plan& plan, const float* input, size_t rows, float* output,
               const native::Plan::StopCheck& stop, const std::string& what);
  // Whether `plan` answers like the bundle's predict() on the sample rows and on generated rows
  // of varied magnitude and sign (zeros among them); `why` names the worst difference if not.
  // Compared first with `answers` where they cover the rows (`by_answers` then says they
  // decided), and with predict() run here when there are none or they differ.
  bool AgreesWithTfjs(JsScope& s, native::Plan& plan, v8::Local<v8::Object> bundle, bool wrapped,
                      const BundledAnswers& answers, Clock::time_point deadline, std::string& why, bool& by_answers);
  // Installs bundle.runNative(x, rows), the plan as a JS function, for predict()'s model step.
  void InstallRunNative(JsScope& s, v8::Local<v8::Object> bundle, bool installed);
  static void RunNativeCallback(const v8::FunctionCallbackInfo<v8::Value>& args);
  DenseMatrix PredictNative(const DenseMatrixView* parts, size_t count, size_t rows, size_t cols);
  // Model::Predict's work: checks the input's shape, then runs the plan or the bundle's predict.
  DenseMatrix Predict(const DenseMatrixView* parts, size_t count);
  DenseMatrix PredictLegacy(JsScope& s, const DenseMatrixView* parts, size_t count, size_t rows, size_t cols);
  // tf.js-on-flink's input: one plain array of numbers per row, built so that no bundle code runs.
  v8::Local<v8::Array> LegacyRows(JsScope& s, const DenseMatrixView* parts, size_t count, size_t rows, size_t cols);
  // tf.js-on-flink's output, [flat]: flat's values, its claimed length checked before any allocation.
  std::vector<float> LegacyValues(JsScope& s, v8::Local<v8::Value> result, size_t rows);
  DenseMatrix CopyOutput(JsScope& s, v8::Local<v8::Value> result, size_t rows);
};

}  // namespace tfjs_run
