#include "java_log.h"

#include <cstdio>

#include "java_types.h"
#include "jvm_thread.h"

namespace tfjs_run::jni {

namespace {
jclass g_native_log = nullptr;
jmethodID g_native_log_method = nullptr;

void Log(const std::string& source, LogLevel level, std::string_view text) {
  const std::string line = Printable(text);
  JNIEnv* env = AttachedEnv();
  if (env == nullptr || g_native_log == nullptr) {  // the JVM is going away
    std::fprintf(stderr, "[%s] %s\n", source.c_str(), line.c_str());
    return;
  }
  // A Java caller's pending exception is kept, and nothing the logger throws escapes.
  jthrowable pending = env->ExceptionOccurred();
  if (pending != nullptr) env->ExceptionClear();
  {
    LocalFrame frame(env, 4);
    if (frame.ok()) {
      jstring s = NewString(env, source);
      jstring v = s != nullptr ? NewString(env, Printable(LogVersion(), 256)) : nullptr;
      jstring t = v != nullptr ? NewString(env, line) : nullptr;
      if (t != nullptr) env->CallStaticVoidMethod(g_native_log, g_native_log_method, static_cast<jint>(level), s, v, t);
    }
    if (env->ExceptionCheck()) env->ExceptionClear();
  }
  if (pending != nullptr) {
    env->Throw(pending);
    env->DeleteLocalRef(pending);
  }
}
}  // namespace

bool InitJavaLog(JNIEnv* env) {
  g_native_log = OwnClass(env, "io/tfjsrun/NativeLog");
  if (g_native_log == nullptr) return false;
  g_native_log_method = env->GetStaticMethodID(g_native_log, "log", "(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;)V");
  return g_native_log_method != nullptr;
}

void ReleaseJavaLog(JNIEnv* env) {
  if (g_native_log != nullptr) env->DeleteWeakGlobalRef(g_native_log);
  g_native_log = nullptr;
  g_native_log_method = nullptr;
}

LogSink JavaLog(std::string source) {
  return [source = std::move(source)](LogLevel level, std::string_view text) { Log(source, level, text); };
}

}  // namespace tfjs_run::jni
