// The Java classes the bridge creates and calls (package io.tfjsrun), looked up once per class
// loader in JNI_OnLoad, and the conversions between them and the C++ API's types.
#pragma once

#include <jni.h>

#include <exception>
#include <string>
#include <vector>

#include "tfjs_run/model_set.h"
#include "tfjs_run/runtime.h"

namespace tfjs_run::jni {

// Looks up every class and member the bridge uses. False (with a Java exception pending) if one
// is missing: the jar and the native library do not match.
bool InitJavaTypes(JNIEnv* env);

// A weak global reference to one of tfjs-run's own classes (DeleteWeakGlobalRef it), or null. Weak:
// a strong one is a GC root that would keep the class, hence its class loader, alive for ever.
jclass OwnClass(JNIEnv* env, const char* name);
// A strong global reference to a class of the JDK's (java.lang's never unload), or null.
jclass SystemClass(JNIEnv* env, const char* name);
void ReleaseJavaTypes(JNIEnv* env);

// Throws the C++ exception `error` into Java as an io.tfjsrun.TfjsException (kind, message, JS
// stack, bundle name and version). An exception that is not a tfjs_run::Error is one of kind
// MEMORY (std::bad_alloc) or INTERNAL (anything else), with its message; an OptionError (an
// option out of its range) is an IllegalArgumentException, as Java's own argument checks are.
void ThrowJava(JNIEnv* env, std::exception_ptr error);
// The same exception as an object, for failing a future on a worker thread.
jthrowable NewJavaException(JNIEnv* env, std::exception_ptr error);

jstring NewString(JNIEnv* env, const std::string& s);
std::string ToString(JNIEnv* env, jstring s);
// Throws Error(kMemory) if `n` values do not fit in a Java array.
jfloatArray NewFloatArray(JNIEnv* env, const float* data, size_t n);
jobjectArray NewStringArray(JNIEnv* env, const std::vector<std::string>& v);

jobject NewPrediction(JNIEnv* env, const Prediction& p, jstring version);
jobject NewBundleInfo(JNIEnv* env, const BundleInfo& info);
jobject NewReloadResult(JNIEnv* env, const ReloadResult& r);
// An io.tfjsrun.RuntimeStats, with its WorkerStats, Latency and WatchStats, made through their
// constructors.
jobject NewRuntimeStats(JNIEnv* env, const RuntimeStats& stats);
// An io.tfjsrun.ModelStats (its RuntimeStats made by NewRuntimeStats), and an array of them.
jobject NewModelStats(JNIEnv* env, const ModelStats& stats);
jobjectArray NewModelStatsArray(JNIEnv* env, const std::vector<ModelStats>& stats);

// io.tfjsrun.ResultSink.ok(float[], int, int, String, int) and fail(Throwable). CallSinkOk is
// false, with the Java exception pending, if the JVM could not make the result array; it throws
// Error(kMemory) for a result longer than a Java array (as NewFloatArray does).
bool CallSinkOk(JNIEnv* env, jobject sink, const Prediction& p, jstring version);
void CallSinkFail(JNIEnv* env, jobject sink, jthrowable error);

}  // namespace tfjs_run::jni
