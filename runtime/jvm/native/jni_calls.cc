#include "jni_calls.h"

#include <atomic>
#include <string>

#include "jvm_thread.h"

namespace tfjs_run::jni {
namespace {

// Callbacks (their sinks' global references) not yet released (LiveCallbacks).
std::atomic<int64_t> g_live_callbacks{0};

// A sink's global reference, deleted on whichever thread drops the last copy.
class GlobalRef {
 public:
  GlobalRef(JNIEnv* env, jobject local) : ref_(env->NewGlobalRef(local)) { g_live_callbacks.fetch_add(1); }
  ~GlobalRef() {
    if (JNIEnv* env = AttachedEnv(); env != nullptr && ref_ != nullptr) env->DeleteGlobalRef(ref_);
    g_live_callbacks.fetch_sub(1);
  }
  GlobalRef(const GlobalRef&) = delete;
  GlobalRef& operator=(const GlobalRef&) = delete;
  jobject get() const { return ref_; }

 private:
  jobject ref_;
};

// The version string as a Java string, made once per version per worker thread (a worker
// completes every request with the same few versions).
jstring VersionString(JNIEnv* env, const std::string& version) {
  struct Cache {
    std::string version;
    jstring string = nullptr;  // a global reference
  };
  thread_local Cache cache;
  if (cache.string == nullptr || cache.version != version) {
    if (cache.string != nullptr) env->DeleteGlobalRef(cache.string);
    jstring local = NewString(env, version);
    cache.string = static_cast<jstring>(env->NewGlobalRef(local));
    env->DeleteLocalRef(local);
    cache.version = version;
  }
  return cache.string;
}

// Completes a Java ResultSink from a worker thread.
void Complete(const std::shared_ptr<GlobalRef>& sink, Prediction result, std::exception_ptr error) {
  JNIEnv* env = AttachedEnv();
  if (env == nullptr) return;  // the JVM is going away: nobody is waiting any more
  LocalFrame frame(env, 16);
  if (!frame.ok()) {
    env->ExceptionClear();
    return;
  }
  // The future always completes: a result that cannot become a Java array fails it instead.
  bool delivered = false;
  if (!error) {
    try {
      delivered = CallSinkOk(env, sink->get(), result, VersionString(env, result.bundle_version));
    } catch (...) {
      error = std::current_exception();
    }
  }
  if (!delivered) {
    jthrowable pending = env->ExceptionOccurred();  // e.g. an OutOfMemoryError making the array
    env->ExceptionClear();
    jthrowable ex = error ? NewJavaException(env, error) : pending;
    if (ex != nullptr) CallSinkFail(env, sink->get(), ex);
  }
  // The sink is the bridge's own class and does not throw; anything still pending must not leak
  // into the next callback.
  if (env->ExceptionCheck()) {
    env->ExceptionDescribe();
    env->ExceptionClear();
  }
}

}  // namespace

// Throws Error(kShape) unless `data` holds exactly rows x cols values.
void CheckRows(JNIEnv* env, jfloatArray data, jint rows, jint cols) {
  if (data == nullptr) throw Error(ErrorKind::kShape, "input is null");
  if (rows < 0 || cols < 0) {
    throw Error(ErrorKind::kShape, "negative shape " + std::to_string(rows) + " x " + std::to_string(cols));
  }
  const jsize length = env->GetArrayLength(data);
  if (static_cast<int64_t>(rows) * cols != length) {
    throw Error(ErrorKind::kShape, std::to_string(length) + " values are not " + std::to_string(rows) + " rows x " +
                                       std::to_string(cols) + " columns");
  }
}

// The caller's rows, checked, copied out of the Java array into this thread's buffer.
DenseMatrixView CopyRows(JNIEnv* env, jfloatArray data, jint rows, jint cols) {
  CheckRows(env, data, rows, cols);
  thread_local std::vector<float> buffer;
  const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(cols);
  if (buffer.capacity() > (16u << 20) && n < buffer.capacity() / 4) std::vector<float>().swap(buffer);
  buffer.resize(n);
  if (n > 0) env->GetFloatArrayRegion(data, 0, static_cast<jsize>(n), buffer.data());
  return {buffer.data(), static_cast<size_t>(rows), static_cast<size_t>(cols)};
}

// The bundle's bytes, refused before they are copied if null or over the runtime's size limit.
BundleSource ToBundleSource(JNIEnv* env, jbyteArray code, jstring origin) {
  BundleSource source;
  source.origin = ToString(env, origin);
  if (code == nullptr) throw Error(ErrorKind::kBundleRead, "the bundle '" + source.origin + "' is null");
  const jsize n = env->GetArrayLength(code);
  BundleSource::CheckSize(static_cast<size_t>(n), source.origin);
  source.code.resize(static_cast<size_t>(n));
  env->GetByteArrayRegion(code, 0, n, reinterpret_cast<jbyte*>(source.code.data()));
  return source;
}

// A Java float[] (null: empty).
std::vector<float> ToFloats(JNIEnv* env, jfloatArray array) {
  std::vector<float> values;
  if (array != nullptr) {
    values.resize(static_cast<size_t>(env->GetArrayLength(array)));
    env->GetFloatArrayRegion(array, 0, static_cast<jsize>(values.size()), values.data());
  }
  return values;
}

Runtime::Callback SinkCallback(JNIEnv* env, jobject sink_object) {
  auto sink = std::make_shared<GlobalRef>(env, sink_object);
  return [sink](Prediction result, std::exception_ptr error) { Complete(sink, std::move(result), error); };
}

int64_t LiveCallbacks() { return g_live_callbacks.load(); }

}  // namespace tfjs_run::jni
