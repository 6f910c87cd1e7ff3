// The native methods of io.tfjsrun.NativeModels: a thin layer over tfjs_run::ModelSet, keeping
// jni_bridge.cc's rules (jni_calls.h): rows copied out before the call, every C++ exception a
// Java one, every argument checked before an array is touched. A handle is a ModelSet* that
// SharedModelSet keeps live while a call runs.
#include "jni_models.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "java_log.h"
#include "java_options.h"
#include "java_types.h"
#include "jni_calls.h"
#include "tfjs_run/model_set.h"
#include "tfjs_run/option_range.h"

namespace tfjs_run::jni {
namespace {

ModelSet* AsModelSet(jlong handle) {
  if (handle == 0) throw Error(ErrorKind::kShutdown, "the model set is closed (no native model set)");
  return reinterpret_cast<ModelSet*>(handle);
}

// The model's name; a null one is no model's (kContract), as an unknown one is.
std::string ModelName(JNIEnv* env, jstring name) {
  if (name == nullptr) throw Error(ErrorKind::kContract, "the model name is null");
  return ToString(env, name);
}

// `message` without the "model 'name': " ModelSet puts in front of its errors.
std::string WithoutModelPrefix(const std::string& message, const std::string& name) {
  const std::string prefix = "model '" + name + "': ";
  return message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
}

// The options model `name` is added with: none (the set's defaults) when `options` is null, else
// what it sets over the C++ defaults, as the set's own are. One out of its range throws an
// OptionError naming the model too, so a caller adding many models knows which was refused.
std::optional<RuntimeOptions> ModelOptions(JNIEnv* env, jobject options, const std::string& name) {
  if (options == nullptr) return std::nullopt;
  try {
    RuntimeOptions out = ToRuntimeOptions(env, options);
    out.model.log = JavaLog("model '" + name + "'");  // through SLF4J, not fd 2
    return out;
  } catch (const OptionError& e) {
    throw OptionError("model '" + name + "': " + e.what());
  }
}

// --- native methods ---------------------------------------------------------------------------

jlong Create(JNIEnv* env, jclass, jobject defaults) {
  return Guarded<jlong>(env, 0, [&] {
    RuntimeOptions options = ToRuntimeOptions(env, defaults);
    options.model.log = JavaLog("model set");  // through SLF4J, not fd 2
    return reinterpret_cast<jlong>(new ModelSet(options));
  });
}

void Close(JNIEnv* env, jclass, jlong handle) {
  Guarded<int>(env, 0, [&] {
    delete reinterpret_cast<ModelSet*>(handle);  // removes every model, each draining first
    return 0;
  });
}

// Abandons every model's reload in progress (ModelSet::StopReloading), so that the last close
// does not wait out a slow load: returns at once, and a reload in progress returns soon after.
void StopReloading(JNIEnv* env, jclass, jlong handle) {
  Guarded<int>(env, 0, [&] {
    AsModelSet(handle)->StopReloading();
    return 0;
  });
}

// Adds model `name` serving `code` under `version`, its answers to `sample` checked against
// `expected` when given, with `options` (null: the set's defaults). A load that fails is a result
// that is not ok, naming the model and the version, and the set is unchanged; a bad argument
// (an option out of range among them) throws.
jobject Add(JNIEnv* env, jclass, jlong handle, jstring name, jbyteArray code, jstring origin, jstring version,
            jfloatArray sample, jfloatArray expected, jdouble tolerance, jobject options) {
  return Guarded<jobject>(env, nullptr, [&] {
    ModelSet* set = AsModelSet(handle);
    const std::string model = ModelName(env, name);
    const std::optional<RuntimeOptions> own = ModelOptions(env, options, model);
    const BundleSource source = ToBundleSource(env, code, origin);
    const ReloadCheck check{ToFloats(env, sample), ToFloats(env, expected), tolerance};
    ReloadResult r;
    r.version = ToString(env, version);
    const auto start = std::chrono::steady_clock::now();
    try {
      if (own) {
        set->AddModel(model, source, r.version, check, *own);
      } else {
        set->AddModel(model, source, r.version, check);
      }
      r.ok = true;
      r.version = set->info(model).version;
    } catch (const Error& e) {
      r.error = "model '" + model + "'" + (r.version.empty() ? "" : " version " + r.version) + ": " +
                ErrorKindName(e.kind()) + " error: " + WithoutModelPrefix(e.message(), model);
    }
    r.total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return NewReloadResult(env, r);
  });
}

void AddWatching(JNIEnv* env, jclass, jlong handle, jstring name, jobject watch_options, jobject options) {
  Guarded<int>(env, 0, [&] {
    ModelSet* set = AsModelSet(handle);
    const std::string model = ModelName(env, name);
    WatchOptions watch = ToWatchOptions(env, watch_options);
    watch.log = JavaLog("watch " + watch.source);
    const std::optional<RuntimeOptions> own = ModelOptions(env, options, model);
    if (own) {
      set->AddWatchedModel(model, watch, *own);
    } else {
      set->AddWatchedModel(model, watch);
    }
    return 0;
  });
}

jobject Reload(JNIEnv* env, jclass, jlong handle, jstring name, jbyteArray code, jstring origin, jstring version,
               jfloatArray sample, jfloatArray expected, jdouble tolerance) {
  return Guarded<jobject>(env, nullptr, [&] {
    ModelSet* set = AsModelSet(handle);
    const std::string model = ModelName(env, name);
    const ReloadCheck check{ToFloats(env, sample), ToFloats(env, expected), tolerance};
    ReloadResult r = set->Reload(model, ToBundleSource(env, code, origin), ToString(env, version), check);
    if (!r.ok) r.error = "model '" + model + "': " + r.error;  // the runtime's names the version
    return NewReloadResult(env, r);
  });
}

void Remove(JNIEnv* env, jclass, jlong handle, jstring name) {
  Guarded<int>(env, 0, [&] {
    AsModelSet(handle)->RemoveModel(ModelName(env, name));  // drains the model's accepted requests first
    return 0;
  });
}

jboolean Contains(JNIEnv* env, jclass, jlong handle, jstring name) {
  return Guarded<jboolean>(env, JNI_FALSE, [&] {
    return static_cast<jboolean>(AsModelSet(handle)->contains(ModelName(env, name)));
  });
}

jobjectArray Names(JNIEnv* env, jclass, jlong handle) {
  return Guarded<jobjectArray>(env, nullptr, [&] { return NewStringArray(env, AsModelSet(handle)->names()); });
}

jobject Info(JNIEnv* env, jclass, jlong handle, jstring name) {
  return Guarded<jobject>(env, nullptr,
                          [&] { return NewBundleInfo(env, AsModelSet(handle)->info(ModelName(env, name))); });
}

jobject PredictVersioned(JNIEnv* env, jclass, jlong handle, jstring name, jfloatArray data, jint rows, jint cols) {
  return Guarded<jobject>(env, nullptr, [&] {
    ModelSet* set = AsModelSet(handle);
    const std::string model = ModelName(env, name);
    Prediction p = set->PredictVersioned(model, CopyRows(env, data, rows, cols));
    jstring version = NewString(env, p.bundle_version);
    jobject out = NewPrediction(env, p, version);
    env->DeleteLocalRef(version);
    return out;
  });
}

void Submit(JNIEnv* env, jclass, jlong handle, jstring name, jfloatArray data, jint rows, jint cols,
            jobject sink_object, jboolean try_only) {
  Guarded<int>(env, 0, [&] {
    if (sink_object == nullptr) throw Error(ErrorKind::kInternal, "submit needs a result sink");
    ModelSet* set = AsModelSet(handle);
    const std::string model = ModelName(env, name);
    CheckRows(env, data, rows, cols);
    Runtime::Callback done = SinkCallback(env, sink_object);
    // Submit copies the rows into the request, so the thread buffer is free again on return.
    if (try_only) {
      set->TrySubmit(model, CopyRows(env, data, rows, cols), std::move(done));
    } else {
      set->Submit(model, CopyRows(env, data, rows, cols), std::move(done));
    }
    return 0;
  });
}

jobject Stats(JNIEnv* env, jclass, jlong handle, jstring name) {
  return Guarded<jobject>(env, nullptr,
                          [&] { return NewModelStats(env, AsModelSet(handle)->Stats(ModelName(env, name))); });
}

jobjectArray AllStats(JNIEnv* env, jclass, jlong handle) {
  return Guarded<jobjectArray>(env, nullptr, [&] { return NewModelStatsArray(env, AsModelSet(handle)->Stats()); });
}

jstring PrometheusText(JNIEnv* env, jclass, jlong handle) {
  return Guarded<jstring>(env, nullptr,
                          [&] { return NewString(env, tfjs_run::PrometheusText(AsModelSet(handle)->Stats())); });
}

#define TFJS_NATIVE(name, signature, fn) \
  JNINativeMethod { const_cast<char*>(name), const_cast<char*>(signature), reinterpret_cast<void*>(fn) }

const JNINativeMethod kMethods[] = {
    TFJS_NATIVE("create", "(Lio/tfjsrun/RuntimeOptions;)J", Create),
    TFJS_NATIVE("close", "(J)V", Close),
    TFJS_NATIVE("stopReloading", "(J)V", StopReloading),
    TFJS_NATIVE("add",
                "(JLjava/lang/String;[BLjava/lang/String;Ljava/lang/String;[F[FDLio/tfjsrun/RuntimeOptions;)"
                "Lio/tfjsrun/ReloadResult;",
                Add),
    TFJS_NATIVE("addWatching", "(JLjava/lang/String;Lio/tfjsrun/WatchOptions;Lio/tfjsrun/RuntimeOptions;)V",
                AddWatching),
    TFJS_NATIVE("reload",
                "(JLjava/lang/String;[BLjava/lang/String;Ljava/lang/String;[F[FD)Lio/tfjsrun/ReloadResult;", Reload),
    TFJS_NATIVE("remove", "(JLjava/lang/String;)V", Remove),
    TFJS_NATIVE("contains", "(JLjava/lang/String;)Z", Contains),
    TFJS_NATIVE("names", "(J)[Ljava/lang/String;", Names),
    TFJS_NATIVE("info", "(JLjava/lang/String;)Lio/tfjsrun/BundleInfo;", Info),
    TFJS_NATIVE("predictVersioned", "(JLjava/lang/String;[FII)Lio/tfjsrun/Prediction;", PredictVersioned),
    TFJS_NATIVE("submit", "(JLjava/lang/String;[FIILio/tfjsrun/ResultSink;Z)V", Submit),
    TFJS_NATIVE("stats", "(JLjava/lang/String;)Lio/tfjsrun/ModelStats;", Stats),
    TFJS_NATIVE("allStats", "(J)[Lio/tfjsrun/ModelStats;", AllStats),
    TFJS_NATIVE("prometheusText", "(J)Ljava/lang/String;", PrometheusText),
};

}  // namespace

bool RegisterModelNatives(JNIEnv* env) {
  jclass native = env->FindClass("io/tfjsrun/NativeModels");
  if (native == nullptr) return false;
  const jint rc = env->RegisterNatives(native, kMethods, sizeof(kMethods) / sizeof(kMethods[0]));
  env->DeleteLocalRef(native);
  return rc == 0;
}

}  // namespace tfjs_run::jni
