// What every native method does with what Java hands it and what it hands back: C++ exceptions
// turned into Java ones, rows and bundles checked and copied out of Java arrays, and results
// delivered to a Java ResultSink from a worker thread. Shared by jni_bridge.cc (one runtime) and
// jni_models.cc (a set of named models).
#pragma once

#include <jni.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "java_types.h"
#include "tfjs_run/runtime.h"

namespace tfjs_run::jni {

// Runs `body`, turning any C++ exception into a pending Java exception (and `fallback`).
template <typename T, typename Body>
T Guarded(JNIEnv* env, T fallback, Body&& body) {
  try {
    return body();
  } catch (...) {
    ThrowJava(env, std::current_exception());
    return fallback;
  }
}

// Throws Error(kShape) unless `data` holds exactly rows x cols values.
void CheckRows(JNIEnv* env, jfloatArray data, jint rows, jint cols);

// The caller's rows, checked, copied out of the Java array into this thread's buffer (valid until
// the thread's next CopyRows).
DenseMatrixView CopyRows(JNIEnv* env, jfloatArray data, jint rows, jint cols);

// The bundle's bytes, refused before they are copied if null or over the runtime's size limit.
BundleSource ToBundleSource(JNIEnv* env, jbyteArray code, jstring origin);

// A Java float[] (null: empty).
std::vector<float> ToFloats(JNIEnv* env, jfloatArray array);

// A Runtime::Callback that completes the Java ResultSink `sink` (held by a global reference until
// the callback is dropped) on the worker thread that finished the request.
Runtime::Callback SinkCallback(JNIEnv* env, jobject sink);

// Callbacks (their sinks' global references) not yet released: 0 when nothing is in flight, or a
// reference leaks.
int64_t LiveCallbacks();

}  // namespace tfjs_run::jni
