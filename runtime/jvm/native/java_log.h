// Native log lines on the JVM: a tfjs_run::LogSink that hands each line to io.tfjsrun.NativeLog
// (SLF4J when present), from whichever thread logs, instead of writing to file descriptor 2.
#pragma once

#include <jni.h>

#include <string>

#include "tfjs_run/model.h"

namespace tfjs_run::jni {

// Looks up io.tfjsrun.NativeLog once per class loader (JNI_OnLoad). False if it is missing.
bool InitJavaLog(JNIEnv* env);
void ReleaseJavaLog(JNIEnv* env);

// A sink naming `source` (the bundle's origin, or "watch URL") on every line, and the bundle
// version the line is about (tfjs_run::LogVersion()) when one is known.
LogSink JavaLog(std::string source);

}  // namespace tfjs_run::jni
