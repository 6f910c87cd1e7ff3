// The native methods of io.tfjsrun.NativeModels: a thin layer over tfjs_run::ModelSet.
#pragma once

#include <jni.h>

namespace tfjs_run::jni {

// Registers NativeModels' methods (from JNI_OnLoad). False, with a Java exception pending, if the
// class or a method is missing: the jar and the native library do not match.
bool RegisterModelNatives(JNIEnv* env);

}  // namespace tfjs_run::jni
