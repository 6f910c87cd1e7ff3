#include "jvm_thread.h"

#include <pthread.h>

#include <atomic>
#include <cstdio>

namespace tfjs_run::jni {
namespace {

std::atomic<JavaVM*> g_vm{nullptr};

// Detaches, at thread exit, a thread that AttachedEnv attached.
struct AttachedThread {
  bool attached = false;
  ~AttachedThread() {
    JavaVM* vm = g_vm.load();
    if (attached && vm != nullptr) vm->DetachCurrentThread();
  }
};
thread_local AttachedThread t_attached;

}  // namespace

void SetJavaVm(JavaVM* vm) { g_vm.store(vm); }

JNIEnv* AttachedEnv() {
  JavaVM* vm = g_vm.load();
  if (vm == nullptr) return nullptr;
  JNIEnv* env = nullptr;
  jint rc = vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_8);
  if (rc == JNI_OK) return env;
  if (rc != JNI_EDETACHED) return nullptr;
  char name[16] = "tfjs-run";
  pthread_getname_np(pthread_self(), name, sizeof(name));
  JavaVMAttachArgs args{JNI_VERSION_1_8, name, nullptr};
  if (vm->AttachCurrentThreadAsDaemon(reinterpret_cast<void**>(&env), &args) != JNI_OK) return nullptr;
  t_attached.attached = true;
  return env;
}

}  // namespace tfjs_run::jni
