// The native methods of io.tfjsrun.NativeRuntime: a thin layer over tfjs_run::Runtime, and the
// library's JNI_OnLoad (which also registers jni_models.cc's NativeModels).
//
// Rules this file and jni_models.cc keep (see runtime/jvm/README.md; jni_calls.h holds what they
// share):
//  - No critical array and no worker-thread local reference is held while JS runs. Input rows
//    are copied out of the Java array (GetFloatArrayRegion) before the call; results are copied
//    into a new Java array after it.
//  - Every callback on a worker thread runs inside a LocalFrame, so a worker completing millions
//    of futures keeps a constant local reference table.
//  - Every C++ exception becomes a Java exception before returning to Java; nothing unwinds
//    through a JNI frame.
//  - Every native method checks what Java handed it (nulls, lengths, a live handle) before it
//    touches an array: a bad argument is a TfjsException (SHAPE for rows, BUNDLE_READ for a
//    bundle, INTERNAL for the bridge's own arguments, which only a jar/library mismatch gets
//    wrong; IllegalArgumentException for an option out of its range), never a crash.
#include <jni.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "java_log.h"
#include "java_options.h"
#include "java_types.h"
#include "jni_calls.h"
#include "jni_models.h"
#include "jvm_thread.h"
#include "tfjs_run/runtime.h"

namespace tfjs_run::jni {
namespace {

// SharedRuntime hands out only live handles; 0 is the one dead handle the bridge can recognise.
Runtime* AsRuntime(jlong handle) {
  if (handle == 0) throw Error(ErrorKind::kShutdown, "the runtime is shut down (no native runtime)");
  return reinterpret_cast<Runtime*>(handle);
}

// --- native methods ---------------------------------------------------------------------------

jlong Start(JNIEnv* env, jclass, jbyteArray code, jstring origin, jobject options) {
  return Guarded<jlong>(env, 0, [&] {
    BundleSource source = ToBundleSource(env, code, origin);
    RuntimeOptions runtime_options = ToRuntimeOptions(env, options);
    runtime_options.model.log = JavaLog(source.origin);  // through SLF4J, not fd 2
    return reinterpret_cast<jlong>(Runtime::Start(source, runtime_options).release());
  });
}

jlong StartWatching(JNIEnv* env, jclass, jobject watch_options, jobject options) {
  return Guarded<jlong>(env, 0, [&] {
    WatchOptions watch = ToWatchOptions(env, watch_options);
    watch.log = JavaLog("watch " + watch.source);
    RuntimeOptions runtime_options = ToRuntimeOptions(env, options);
    runtime_options.model.log = JavaLog(watch.source);
    return reinterpret_cast<jlong>(Runtime::StartWatching(watch, runtime_options).release());
  });
}

void StopReloading(JNIEnv* env, jclass, jlong handle) {
  Guarded<int>(env, 0, [&] {
    AsRuntime(handle)->StopReloading();  // returns at once; a reload in progress returns soon after
    return 0;
  });
}

void Shutdown(JNIEnv* env, jclass, jlong handle) {
  Guarded<int>(env, 0, [&] {
    if (handle == 0) return 0;  // nothing to shut down
    std::unique_ptr<Runtime> runtime(AsRuntime(handle));
    runtime->Shutdown();  // drains: every accepted request completes (its callback runs) first
    return 0;
  });
}

jfloatArray Predict(JNIEnv* env, jclass, jlong handle, jfloatArray data, jint rows, jint cols) {
  return Guarded<jfloatArray>(env, nullptr, [&] {
    DenseMatrix out = AsRuntime(handle)->Predict(CopyRows(env, data, rows, cols));
    return NewFloatArray(env, out.data(), out.size());
  });
}

jobject PredictVersioned(JNIEnv* env, jclass, jlong handle, jfloatArray data, jint rows, jint cols) {
  return Guarded<jobject>(env, nullptr, [&] {
    Prediction p = AsRuntime(handle)->PredictVersioned(CopyRows(env, data, rows, cols));
    jstring version = NewString(env, p.bundle_version);
    jobject out = NewPrediction(env, p, version);
    env->DeleteLocalRef(version);
    return out;
  });
}

void Submit(JNIEnv* env, jclass, jlong handle, jfloatArray data, jint rows, jint cols, jobject sink_object,
            jboolean try_only) {
  Guarded<int>(env, 0, [&] {
    if (sink_object == nullptr) throw Error(ErrorKind::kInternal, "submit needs a result sink");
    Runtime* runtime = AsRuntime(handle);
    CheckRows(env, data, rows, cols);
    Runtime::Callback done = SinkCallback(env, sink_object);
    // Submit copies the rows into the request, so the thread buffer is free again on return.
    if (try_only) {
      runtime->TrySubmit(CopyRows(env, data, rows, cols), std::move(done));
    } else {
      runtime->Submit(CopyRows(env, data, rows, cols), std::move(done));
    }
    return 0;
  });
}

jobject Reload(JNIEnv* env, jclass, jlong handle, jbyteArray code, jstring origin, jstring version, jfloatArray sample,
               jfloatArray expected, jdouble tolerance) {
  return Guarded<jobject>(env, nullptr, [&] {
    const ReloadCheck check{ToFloats(env, sample), ToFloats(env, expected), tolerance};
    ReloadResult r = AsRuntime(handle)->Reload(ToBundleSource(env, code, origin), ToString(env, version), check);
    return NewReloadResult(env, r);
  });
}

void Watch(JNIEnv* env, jclass, jlong handle, jobject watch_options) {
  Guarded<int>(env, 0, [&] {
    WatchOptions watch = ToWatchOptions(env, watch_options);
    watch.log = JavaLog("watch " + watch.source);
    AsRuntime(handle)->Watch(watch);
    return 0;
  });
}

jobject Info(JNIEnv* env, jclass, jlong handle) {
  return Guarded<jobject>(env, nullptr, [&] { return NewBundleInfo(env, AsRuntime(handle)->info()); });
}

jobject Stats(JNIEnv* env, jclass, jlong handle) {
  return Guarded<jobject>(env, nullptr, [&] { return NewRuntimeStats(env, AsRuntime(handle)->Stats()); });
}

// The options as the runtime would take them: what they set, checked, over the C++ defaults.
jobject ResolveRuntimeOptions(JNIEnv* env, jclass, jobject options) {
  return Guarded<jobject>(env, nullptr, [&] { return NewJavaRuntimeOptions(env, ToRuntimeOptions(env, options)); });
}

jobject ResolveWatchOptions(JNIEnv* env, jclass, jobject options) {
  return Guarded<jobject>(env, nullptr, [&] { return NewJavaWatchOptions(env, ToWatchOptions(env, options)); });
}

// The runtime's one limit on a bundle's size (BundleSource::kMaxBytes), for a file Java has not
// read yet: throws BUNDLE_READ, naming `origin` and its size, if `bytes` is over it.
void CheckBundleSize(JNIEnv* env, jclass, jlong bytes, jstring origin) {
  Guarded<int>(env, 0, [&] {
    BundleSource::CheckSize(static_cast<size_t>(std::max<jlong>(bytes, 0)), ToString(env, origin));
    return 0;
  });
}

jlong LiveCallbackCount(JNIEnv*, jclass) { return LiveCallbacks(); }

// For the JNI-cost benchmark: what Predict does on the Java side of the runtime call, without
// the call: copy the rows out of the Java array, return a new array of rows x out_cols.
jfloatArray BenchRoundTrip(JNIEnv* env, jclass, jfloatArray data, jint rows, jint cols, jint out_cols) {
  return Guarded<jfloatArray>(env, nullptr, [&] {
    DenseMatrixView in = CopyRows(env, data, rows, cols);
    if (out_cols < 0) throw Error(ErrorKind::kShape, "negative output width " + std::to_string(out_cols));
    DenseMatrix out(in.rows(), static_cast<size_t>(out_cols));
    if (in.size() > 0 && out.size() > 0) out.data()[0] = in.data()[0];
    return NewFloatArray(env, out.data(), out.size());
  });
}

// For the JNI-cost benchmark (tools/bench-jvm.sh): `calls` blocking predicts of the same rows made
// from C++ on this thread, as a C++ embedder makes them, on the same runtime. Returns nanoseconds.
jlong BenchPredict(JNIEnv* env, jclass, jlong handle, jfloatArray data, jint rows, jint cols, jlong calls) {
  return Guarded<jlong>(env, 0, [&] {
    Runtime* runtime = AsRuntime(handle);
    CheckRows(env, data, rows, cols);
    std::vector<float> input(static_cast<size_t>(rows) * static_cast<size_t>(cols));
    env->GetFloatArrayRegion(data, 0, static_cast<jsize>(input.size()), input.data());
    const DenseMatrixView view(input.data(), static_cast<size_t>(rows), static_cast<size_t>(cols));
    const auto start = std::chrono::steady_clock::now();
    for (jlong i = 0; i < calls; ++i) runtime->Predict(view);
    return static_cast<jlong>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  });
}

jint Workers(JNIEnv* env, jclass, jlong handle) {
  return Guarded<jint>(env, 0, [&] { return static_cast<jint>(AsRuntime(handle)->workers()); });
}

#define TFJS_NATIVE(name, signature, fn) \
  JNINativeMethod { const_cast<char*>(name), const_cast<char*>(signature), reinterpret_cast<void*>(fn) }

const JNINativeMethod kMethods[] = {
    TFJS_NATIVE("start", "([BLjava/lang/String;Lio/tfjsrun/RuntimeOptions;)J", Start),
    TFJS_NATIVE("startWatching", "(Lio/tfjsrun/WatchOptions;Lio/tfjsrun/RuntimeOptions;)J", StartWatching),
    TFJS_NATIVE("shutdown", "(J)V", Shutdown),
    TFJS_NATIVE("stopReloading", "(J)V", StopReloading),
    TFJS_NATIVE("predict", "(J[FII)[F", Predict),
    TFJS_NATIVE("predictVersioned", "(J[FII)Lio/tfjsrun/Prediction;", PredictVersioned),
    TFJS_NATIVE("submit", "(J[FIILio/tfjsrun/ResultSink;Z)V", Submit),
    TFJS_NATIVE("reload", "(J[BLjava/lang/String;Ljava/lang/String;[F[FD)Lio/tfjsrun/ReloadResult;", Reload),
    TFJS_NATIVE("watch", "(JLio/tfjsrun/WatchOptions;)V", Watch),
    TFJS_NATIVE("info", "(J)Lio/tfjsrun/BundleInfo;", Info),
    TFJS_NATIVE("stats", "(J)Lio/tfjsrun/RuntimeStats;", Stats),
    TFJS_NATIVE("resolveRuntimeOptions", "(Lio/tfjsrun/RuntimeOptions;)Lio/tfjsrun/RuntimeOptions;",
                ResolveRuntimeOptions),
    TFJS_NATIVE("resolveWatchOptions", "(Lio/tfjsrun/WatchOptions;)Lio/tfjsrun/WatchOptions;", ResolveWatchOptions),
    TFJS_NATIVE("workers", "(J)I", Workers),
    TFJS_NATIVE("checkBundleSize", "(JLjava/lang/String;)V", CheckBundleSize),
    TFJS_NATIVE("liveCallbacks", "()J", LiveCallbackCount),
    TFJS_NATIVE("benchPredict", "(J[FIIJ)J", BenchPredict),
    TFJS_NATIVE("benchRoundTrip", "([FIII)[F", BenchRoundTrip),
};

}  // namespace
}  // namespace tfjs_run::jni

extern "C" JNIEXPORT jint JNI_OnLoad(JavaVM* vm, void*) {
  using namespace tfjs_run::jni;
  JNIEnv* env = nullptr;
  if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;
  SetJavaVm(vm);
  if (!InitJavaTypes(env) || !InitJavaOptions(env) || !InitJavaLog(env) || !RegisterModelNatives(env)) return JNI_ERR;
  jclass native = env->FindClass("io/tfjsrun/NativeRuntime");
  if (native == nullptr) return JNI_ERR;
  const jint rc = env->RegisterNatives(native, kMethods, sizeof(kMethods) / sizeof(kMethods[0]));
  env->DeleteLocalRef(native);
  return rc == 0 ? JNI_VERSION_1_8 : JNI_ERR;
}

extern "C" JNIEXPORT void JNI_OnUnload(JavaVM* vm, void*) {
  JNIEnv* env = nullptr;
  if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_8) == JNI_OK) {
    tfjs_run::jni::ReleaseJavaLog(env);
    tfjs_run::jni::ReleaseJavaOptions(env);
    tfjs_run::jni::ReleaseJavaTypes(env);
  }
}
