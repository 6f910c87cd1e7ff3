// Model: one bundle loaded into one V8 isolate, with a DenseMatrix predict call.
//
//   auto model = tfjs_run::Model::Load(tfjs_run::BundleSource::FromFile("ml.bundle.js"));
//   tfjs_run::DenseMatrix out = model->Predict({rows.data(), n, 13});
//
// A Model is not thread-safe: call it from one thread at a time (it takes the isolate's lock
// on every call, so using it from another thread is safe but serialised).
// No V8 type appears in this header.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_run/dense_matrix.h"
#include "tfjs_run/error.h"
#include "tfjs_run/option_range.h"

namespace tfjs_run {

// The version of V8 that runs bundles ("10.2.154.26-node.39"), and of the runtime ("0.1.0").
std::string V8Version();
std::string RuntimeVersion();

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
using LogSink = std::function<void(LogLevel, std::string_view)>;
// The bundle version the line being logged is about, on the thread that logs it, "" when none
// is known: the version being staged by a reload, served by a worker's batch, or applied by the
// watcher. A LogSink may read it (the JVM's sink makes it a logging field).
std::string_view LogVersion();

// The source text of a bundle, with the name used in errors and stack traces.
struct BundleSource {
  std::string code;
  std::string origin;  // e.g. the file path

  // The longest bundle the runtime loads, in bytes: V8's longest string (2^29 - 24 characters;
  // UTF-8 never gives more characters than bytes). Every way in is held to it before V8 sees the
  // text: FromFile (by the file's size, before reading it), Model::Load (so Runtime::Start,
  // Runtime::Reload and the JVM's bytes) and a watched manifest's declared size, whatever
  // WatchOptions::max_bundle_bytes says.
  static constexpr size_t kMaxBytes = (size_t{1} << 29) - 24;

  // Throws Error(kBundleRead) if the file cannot be read, or is longer than kMaxBytes.
  static BundleSource FromFile(const std::string& path);
  // Throws Error(kBundleRead), naming `origin` and `bytes`, if `bytes` is over kMaxBytes.
  static void CheckSize(size_t bytes, const std::string& origin);
};

enum class BundleContract {
  kV1,      // globalThis.tfjsRunBundle, see js/README.md
  kLegacy,  // tf.js-on-flink: global predict(rows) -> [flat] and isLoaded()
};

// Where a v1 bundle's model math runs. kAuto: natively when the bundle offers its model
// (model-bundler's bundles without app pre/post-processing do), every layer in it is covered and
// the native result agrees with tfjs on sample rows at load; otherwise in tfjs. kNative: natively
// or the load fails, saying why. kTfjs: always in tfjs, inside the isolate.
enum class ModelExec { kAuto, kNative, kTfjs };

struct BundleInfo {
  BundleContract contract = BundleContract::kV1;
  std::string name;
  std::string version;
  std::string sha256;     // of the bundler's inputs, as stamped by model-bundler
  std::string backend;    // the backend that is running after load ("cpu", "wasm", ...)
  int64_t input_cols = -1;   // -1: any (legacy bundles declare no shape)
  int64_t output_cols = -1;  // -1: derived from each result (legacy)
  int64_t max_rows = -1;     // -1: any number of rows per call
  // What a row is to the model, when the bundle says (model-bundler's bundles do): the model's
  // own input shape, -1 for the batch; e.g. [-1, 32, 32, 3] for rows of 3072 values (NHWC,
  // row-major). Empty if not declared.
  std::vector<int64_t> model_input_shape;
  // The name of each input column, in order (tfjsRunBundle.featureNames; model-bundler
  // --feature-names): the CLI matches CSV headers and JSON object keys to them. Validated at load
  // (one per input column, distinct, each 1-256 bytes without control characters). Empty if the
  // bundle declares none.
  std::vector<std::string> feature_names;
  // Which output columns hold which of the model's outputs (several are concatenated in the
  // model's order). Empty if not declared.
  struct OutputColumns {
    std::string name;
    int64_t first_col = 0;
    int64_t cols = 0;
  };
  std::vector<OutputColumns> outputs;
  // Rows the bundle declares for warming it up (tfjsRunBundle.sampleInput), row-major, a
  // multiple of input_cols; empty if it declares none.
  std::vector<float> sample_input;
  // "native" or "tfjs": where predict runs. The note says what runs natively ("dense_1 (Dense)
  // -> ..."), or why it is tfjs (the first layer the executor does not cover, ...).
  std::string model_exec = "tfjs";
  std::string model_exec_note;
};

struct ModelOptions {
  // Loading must finish within this, or Load throws Error(kLoadTimeout): the bundle's top level,
  // load() and its promise, reading every contract field (getters are JS), activeBackend().
  std::chrono::milliseconds load_timeout{30000};
  static constexpr OptionRange kLoadTimeoutMs{1, 3'600'000};
  // Each predict call (and the promise it returns) must finish within this, or it is terminated
  // and throws Error(kTimeout); the isolate is then broken() and should be replaced (the Runtime
  // does). The default is far above any real batch: a 256-row chunk of a mobilenet-class model
  // on the wasm backend takes ~20 s on one core (12 rows/s).
  std::chrono::milliseconds predict_timeout{60000};
  static constexpr OptionRange kPredictTimeoutMs{1, 86'400'000};
  // Where console.* and runtime warnings go. Default: stderr, prefixed with the bundle name.
  LogSink log;
  // The isolate's memory budget. JS past either limit has its call terminated with
  // Error(kMemory); the isolate is then broken() (the Runtime replaces it). Neither limit is
  // ever raised, so one isolate's JS holds at most max_heap_mb + 1088 MiB (V8's headroom for
  // one last allocation, granted once) + max_buffer_mb (see docs/publishing.md).
  // The JS heap, in MiB (0: V8's default, which depends on the machine's memory).
  size_t max_heap_mb = 1024;
  static constexpr OptionRange kMaxHeapMb{16, 1 << 20, /*or_zero=*/true};
  // ArrayBuffers (typed arrays, tensors on the cpu backend) and WebAssembly memories (the wasm
  // backend's heap), in MiB (0: no limit). WebAssembly memory is sampled every 10 ms, so it may
  // overshoot by what one call can touch in 10 ms.
  size_t max_buffer_mb = 2048;
  static constexpr OptionRange kMaxBufferMb{0, 1 << 22};
  // A V8 code cache for this bundle (from Model::CreateCodeCache, possibly in another isolate
  // or an earlier process). Skips most of the compile; V8 rejects a cache that does not match
  // the source or the V8 build, and the load then simply compiles.
  std::shared_ptr<const std::vector<uint8_t>> code_cache;
  // Native execution of the model (runtime/src/native): see ModelExec.
  ModelExec model_exec = ModelExec::kAuto;
  // Where the load-time check's passes are remembered (docs/native.md): a later load of the same
  // bundle bytes, with the same max_buffer_mb, by the same builds of tfjs-run, XNNPACK and V8 on
  // the same CPU, skips the check. Empty: nowhere, every native load runs it. The Runtime sets it
  // to its code_cache_dir.
  std::string check_verdict_dir;
  // Set to true from any thread to abandon this model's JS: a Load in progress, or a predict,
  // is terminated within about 50 ms and throws Error(kShutdown). How the Runtime abandons a
  // slow reload at shutdown; a model whose work was abandoned should be discarded.
  std::shared_ptr<const std::atomic<bool>> cancel;
};

class Model {
 public:
  // Creates an isolate, installs the polyfills, runs the bundle and waits for its load to
  // settle. Throws Error on a syntax error, a throwing or never-settling load, a missing
  // contract, or a backend other than the one the bundle asked for.
  static std::unique_ptr<Model> Load(const BundleSource& source, const ModelOptions& options = {});

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // Runs the bundle's predict on the rows of `input`. JS gets a copy in memory the isolate owns:
  // it may keep it, and never sees the caller's memory after the call.
  // Throws Error(kShape) before any JS runs if the columns do not match the bundle's declared
  // input, Error(kPredict) if JS throws, Error(kOutput) if the result has the wrong length.
  DenseMatrix Predict(DenseMatrixView input);
  // The same, for the rows of several inputs of one width stacked in order, as one predict call
  // (how the Runtime batches requests: their rows are copied once, straight into the isolate).
  // The output has the rows of all parts, in that order.
  DenseMatrix Predict(const std::vector<DenseMatrixView>& parts);

  const BundleInfo& info() const;
  // Whether predict runs the native plan alone and never enters JS (model_exec "native" with no
  // app functions around the model). Only then may Predict be called from a thread other than
  // the one that uses the Model (one call at a time still; how the Runtime runs a blocking
  // Predict on its caller's thread, RuntimeOptions::caller_runs). Fixed at load.
  bool runs_without_js() const;

  // Serialises the compiled bundle for ModelOptions::code_cache. Best called after load and a
  // predict, when the functions tfjs uses have been compiled (they are then in the cache too).
  std::vector<uint8_t> CreateCodeCache();
  // Whether ModelOptions::code_cache was given and V8 accepted it.
  bool code_cache_accepted() const;
  // Whether JS in this isolate was ever terminated (a deadline, the heap limit). Its JS state
  // may be half-updated: load a fresh Model to go on.
  bool broken() const;
  // How long Load took, in milliseconds.
  double load_ms() const;
  // The isolate's memory now: its JS heap in use plus its ArrayBuffer and WebAssembly memory.
  // Call it from the thread that uses the Model, like the rest.
  size_t memory_bytes() const;

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  DenseMatrix Predict(const DenseMatrixView* parts, size_t count);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tfjs_run
