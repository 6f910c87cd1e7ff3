// io.tfjsrun.RuntimeOptions and io.tfjsrun.WatchOptions <-> the C++ option structs, field by
// field by name. A Java field left null is not set: the C++ struct keeps its default, so the
// defaults live only in C++ (runtime.h, model.h). Every value set is checked against its C++
// range (OptionRange), which throws OptionError naming the Java field (the bridge throws it as
// an IllegalArgumentException). A Java class missing a field, or with one of another type, is
// Error(kInternal) naming it: the jar and the native library do not match.
#pragma once

#include <jni.h>

#include "tfjs_run/runtime.h"

namespace tfjs_run::jni {

// Looks the classes and their fields up, once per copy of the bridge (class loader). A missing
// field does not fail the load: its use does, naming it.
bool InitJavaOptions(JNIEnv* env);
void ReleaseJavaOptions(JNIEnv* env);

// The options a Java RuntimeOptions sets, over a default-constructed RuntimeOptions.
RuntimeOptions ToRuntimeOptions(JNIEnv* env, jobject options);
WatchOptions ToWatchOptions(JNIEnv* env, jobject options);

// A new Java RuntimeOptions / WatchOptions with every field set from `options` (how Java shows
// the C++ defaults, and what equal opens are keyed by).
jobject NewJavaRuntimeOptions(JNIEnv* env, const RuntimeOptions& options);
jobject NewJavaWatchOptions(JNIEnv* env, const WatchOptions& options);

}  // namespace tfjs_run::jni
