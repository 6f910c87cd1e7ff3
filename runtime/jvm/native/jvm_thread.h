// The JVM as seen from a native thread: attaching worker threads, and local references.
//
// The runtime's worker threads complete Java futures. Each attaches to the JVM once, as a
// daemon (so it never keeps a JVM alive), the first time it needs to; it detaches when the
// thread exits. A thread the JVM already knows (a Java caller) is used as is and never detached.
#pragma once

#include <jni.h>

namespace tfjs_run::jni {

// Remembers the JVM (from JNI_OnLoad).
void SetJavaVm(JavaVM* vm);

// The JNIEnv of the calling thread, attaching it as a daemon thread if it is not attached.
// Returns nullptr if the JVM refuses (it is shutting down).
JNIEnv* AttachedEnv();

// A local reference frame: every local reference made inside it is freed when it ends. Callbacks
// on worker threads run inside one, so a thread that lives as long as the runtime and completes
// millions of futures never grows its local reference table.
class LocalFrame {
 public:
  LocalFrame(JNIEnv* env, jint capacity) : env_(env), ok_(env->PushLocalFrame(capacity) == 0) {}
  ~LocalFrame() {
    if (ok_) env_->PopLocalFrame(nullptr);
  }
  LocalFrame(const LocalFrame&) = delete;
  LocalFrame& operator=(const LocalFrame&) = delete;
  bool ok() const { return ok_; }

 private:
  JNIEnv* env_;
  bool ok_;
};

}  // namespace tfjs_run::jni
