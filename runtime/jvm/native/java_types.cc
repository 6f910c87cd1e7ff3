#include "java_types.h"

#include <limits>
#include <vector>

namespace tfjs_run::jni {
namespace {

struct JavaTypes {
  jclass tfjs_exception = nullptr;
  jmethodID tfjs_exception_init = nullptr;
  jclass prediction = nullptr;
  jmethodID prediction_init = nullptr;
  jclass bundle_info = nullptr;
  jmethodID bundle_info_init = nullptr;
  jclass reload_result = nullptr;
  jmethodID reload_result_init = nullptr;
  jclass string = nullptr;
  jclass object = nullptr;
  jclass double_array = nullptr;
  jmethodID sink_ok = nullptr;
  jmethodID sink_fail = nullptr;
};
JavaTypes g;  // per copy of the bridge, i.e. per class loader

// tfjs-run's own classes are held by weak global references (OwnClass): a strong one is a GC
// root that keeps the class, hence its class loader, alive for ever, so Flink could never unload
// a job's loader (and JNI_OnUnload, which would drop the reference, runs only once the loader is
// unreachable). While the native code runs for a caller of that loader, its classes are loaded,
// so the weak references resolve. java.lang's classes never unload and are held strongly.
enum class Hold { kWeak, kStrong };

jclass ClassRef(JNIEnv* env, const char* name, Hold hold) {
  jclass local = env->FindClass(name);
  if (local == nullptr) return nullptr;
  auto ref = static_cast<jclass>(hold == Hold::kWeak ? env->NewWeakGlobalRef(local) : env->NewGlobalRef(local));
  env->DeleteLocalRef(local);
  return ref;
}

jclass SystemClass(JNIEnv* env, const char* name) { return ClassRef(env, name, Hold::kStrong); }

jdoubleArray NewDoubleArray(JNIEnv* env, const std::vector<double>& v) {
  jdoubleArray a = env->NewDoubleArray(static_cast<jsize>(v.size()));
  if (a != nullptr) env->SetDoubleArrayRegion(a, 0, static_cast<jsize>(v.size()), v.data());
  return a;
}

jobjectArray NewStringArray(JNIEnv* env, const std::vector<std::string>& v) {
  jobjectArray a = env->NewObjectArray(static_cast<jsize>(v.size()), g.string, nullptr);
  for (size_t i = 0; a != nullptr && i < v.size(); ++i) {
    jstring s = NewString(env, v[i]);
    env->SetObjectArrayElement(a, static_cast<jsize>(i), s);
    env->DeleteLocalRef(s);
  }
  return a;
}

std::vector<double> LatencyValues(const LatencyStats& l) { return {l.p50_us, l.p90_us, l.p99_us, l.max_us}; }

}  // namespace

jclass OwnClass(JNIEnv* env, const char* name) { return ClassRef(env, name, Hold::kWeak); }

bool InitJavaTypes(JNIEnv* env) {
  g.tfjs_exception = OwnClass(env, "io/tfjsrun/TfjsException");
  if (!g.tfjs_exception) return false;
  g.tfjs_exception_init = env->GetMethodID(g.tfjs_exception, "<init>",
      "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V");
  g.prediction = OwnClass(env, "io/tfjsrun/Prediction");
  if (!g.tfjs_exception_init || !g.prediction) return false;
  g.prediction_init = env->GetMethodID(g.prediction, "<init>", "([FIILjava/lang/String;I)V");
  g.bundle_info = OwnClass(env, "io/tfjsrun/BundleInfo");
  if (!g.prediction_init || !g.bundle_info) return false;
  g.bundle_info_init = env->GetMethodID(g.bundle_info, "<init>",
      "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;JJJLjava/lang/String;"
      "Ljava/lang/String;[Ljava/lang/String;)V");
  g.reload_result = OwnClass(env, "io/tfjsrun/ReloadResult");
  if (!g.bundle_info_init || !g.reload_result) return false;
  g.reload_result_init = env->GetMethodID(g.reload_result, "<init>", "(ZLjava/lang/String;Ljava/lang/String;D[D[D[D)V");
  g.string = SystemClass(env, "java/lang/String");
  g.object = SystemClass(env, "java/lang/Object");
  g.double_array = SystemClass(env, "[D");
  jclass sink = env->FindClass("io/tfjsrun/ResultSink");
  if (!g.reload_result_init || !g.string || !g.object || !g.double_array || !sink) return false;
  g.sink_ok = env->GetMethodID(sink, "ok", "([FIILjava/lang/String;I)V");
  g.sink_fail = env->GetMethodID(sink, "fail", "(Ljava/lang/Throwable;)V");
  env->DeleteLocalRef(sink);
  return g.sink_ok && g.sink_fail;
}

void ReleaseJavaTypes(JNIEnv* env) {
  for (jclass c : {g.tfjs_exception, g.prediction, g.bundle_info, g.reload_result}) {
    if (c) env->DeleteWeakGlobalRef(c);
  }
  for (jclass c : {g.string, g.object, g.double_array}) {
    if (c) env->DeleteGlobalRef(c);
  }
  g = JavaTypes{};
}

jstring NewString(JNIEnv* env, const std::string& s) {
  // NewStringUTF wants modified UTF-8; JS messages are plain UTF-8, which differs only for NUL
  // and supplementary characters. Build from UTF-16 instead, which is exact.
  std::u16string u;
  u.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp = 0xFFFD;
    size_t len = 1;
    if (c < 0x80) { cp = c; }
    else if ((c >> 5) == 0x6 && i + 1 < s.size()) { cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F); len = 2; }
    else if ((c >> 4) == 0xE && i + 2 < s.size()) { cp = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F); len = 3; }
    else if ((c >> 3) == 0x1E && i + 3 < s.size()) {
      cp = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) | ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
      len = 4;
    }
    i += len;
    if (cp >= 0x10000 && cp <= 0x10FFFF) {
      cp -= 0x10000;
      u.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      u.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      u.push_back(static_cast<char16_t>(cp > 0x10FFFF ? 0xFFFD : cp));
    }
  }
  return env->NewString(reinterpret_cast<const jchar*>(u.data()), static_cast<jsize>(u.size()));
}

std::string ToString(JNIEnv* env, jstring s) {
  if (s == nullptr) return {};
  const char* chars = env->GetStringUTFChars(s, nullptr);
  if (chars == nullptr) return {};
  std::string out(chars);
  env->ReleaseStringUTFChars(s, chars);
  return out;
}

jfloatArray NewFloatArray(JNIEnv* env, const float* data, size_t n) {
  if (n > static_cast<size_t>(std::numeric_limits<jsize>::max())) {
    throw Error(ErrorKind::kMemory, "a result of " + std::to_string(n) + " values does not fit in a Java array");
  }
  jfloatArray a = env->NewFloatArray(static_cast<jsize>(n));
  if (a != nullptr && n > 0) env->SetFloatArrayRegion(a, 0, static_cast<jsize>(n), data);
  return a;
}

namespace {

// Any exception as the runtime's one error type: an Error as it is, std::bad_alloc as kMemory,
// anything else (a library's exception, a bug) as kInternal with what it says.
Error AsError(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return e;
  } catch (const std::bad_alloc&) {
    return Error(ErrorKind::kMemory, "the native runtime ran out of memory");
  } catch (const std::exception& e) {
    return Error(ErrorKind::kInternal, std::string("tfjs-run native error: ") + e.what());
  } catch (...) {
    return Error(ErrorKind::kInternal, "tfjs-run native error of unknown type");
  }
}

}  // namespace

jthrowable NewJavaException(JNIEnv* env, std::exception_ptr error) {
  const Error e = AsError(error);
  // The kind travels as its name ("load-timeout"), an explicit code both sides spell out, never
  // as an enum's position.
  jstring kind = NewString(env, ErrorKindName(e.kind()));
  jstring message = NewString(env, e.message());
  jstring stack = NewString(env, e.js_stack());
  jstring name = NewString(env, e.bundle_name());
  jstring version = NewString(env, e.bundle_version());
  auto ex = static_cast<jthrowable>(env->NewObject(g.tfjs_exception, g.tfjs_exception_init,
                                                   kind, message, stack, name, version));
  env->DeleteLocalRef(kind);
  env->DeleteLocalRef(message);
  env->DeleteLocalRef(stack);
  env->DeleteLocalRef(name);
  env->DeleteLocalRef(version);
  return ex;
}

void ThrowJava(JNIEnv* env, std::exception_ptr error) {
  if (env->ExceptionCheck()) return;  // a JNI call already threw (e.g. OutOfMemoryError)
  jthrowable ex = NewJavaException(env, error);
  if (ex != nullptr) {
    env->Throw(ex);
    env->DeleteLocalRef(ex);
  }
}

jobject NewPrediction(JNIEnv* env, const Prediction& p, jstring version) {
  jfloatArray values = NewFloatArray(env, p.output.data(), p.output.size());
  if (values == nullptr) return nullptr;
  jobject out = env->NewObject(g.prediction, g.prediction_init, values, static_cast<jint>(p.output.rows()),
                               static_cast<jint>(p.output.cols()), version, static_cast<jint>(p.worker));
  env->DeleteLocalRef(values);
  return out;
}

jobject NewBundleInfo(JNIEnv* env, const BundleInfo& info) {
  jstring name = NewString(env, info.name);
  jstring version = NewString(env, info.version);
  jstring sha = NewString(env, info.sha256);
  jstring backend = NewString(env, info.backend);
  jstring contract = NewString(env, info.contract == BundleContract::kV1 ? "v1" : "legacy");
  jstring exec = NewString(env, info.model_exec);
  jstring note = NewString(env, info.model_exec_note);
  jobjectArray features = NewStringArray(env, info.feature_names);
  jobject out = nullptr;
  if (features != nullptr) {  // else an OutOfMemoryError is pending
    out = env->NewObject(g.bundle_info, g.bundle_info_init, name, version, sha, backend, contract,
                         static_cast<jlong>(info.input_cols), static_cast<jlong>(info.output_cols),
                         static_cast<jlong>(info.max_rows), exec, note, features);
  }
  for (jobject o : {static_cast<jobject>(name), static_cast<jobject>(version), static_cast<jobject>(sha),
                    static_cast<jobject>(backend), static_cast<jobject>(contract), static_cast<jobject>(exec),
                    static_cast<jobject>(note), static_cast<jobject>(features)}) {
    if (o != nullptr) env->DeleteLocalRef(o);
  }
  return out;
}

jobject NewReloadResult(JNIEnv* env, const ReloadResult& r) {
  jstring version = NewString(env, r.version);
  jstring error = NewString(env, r.error);
  jdoubleArray load = NewDoubleArray(env, r.worker_load_ms);
  jdoubleArray warmup = NewDoubleArray(env, r.worker_warmup_ms);
  jdoubleArray swap = NewDoubleArray(env, r.worker_switch_ms);
  jobject out = env->NewObject(g.reload_result, g.reload_result_init, static_cast<jboolean>(r.ok), version, error,
                               r.total_ms, load, warmup, swap);
  for (jobject o : {static_cast<jobject>(version), static_cast<jobject>(error), static_cast<jobject>(load),
                    static_cast<jobject>(warmup), static_cast<jobject>(swap)}) {
    env->DeleteLocalRef(o);
  }
  return out;
}

jobjectArray NewStatsArrays(JNIEnv* env, const RuntimeStats& s) {
  // Layout: see io.tfjsrun.RuntimeStats(Object[]).
  jobjectArray out = env->NewObjectArray(11, g.object, nullptr);
  if (out == nullptr) return nullptr;
  auto set = [&](jsize i, jobject o) {
    env->SetObjectArrayElement(out, i, o);
    env->DeleteLocalRef(o);
  };
  std::vector<double> runtime = {static_cast<double>(s.reloads_ok), static_cast<double>(s.reloads_failed),
                                 static_cast<double>(s.queue_rows), static_cast<double>(s.queue_requests),
                                 static_cast<double>(s.max_queue_rows_seen), static_cast<double>(s.rejected_overloaded),
                                 static_cast<double>(s.recomputed)};
  for (double v : LatencyValues(s.latency)) runtime.push_back(v);
  runtime.push_back(static_cast<double>(s.rollbacks));
  set(0, NewDoubleArray(env, runtime));
  set(1, NewString(env, s.last_reload_error));
  jobjectArray workers = env->NewObjectArray(static_cast<jsize>(s.workers.size()), g.double_array, nullptr);
  std::vector<std::string> versions;
  for (size_t i = 0; workers != nullptr && i < s.workers.size(); ++i) {
    const WorkerStats& w = s.workers[i];
    std::vector<double> v = {static_cast<double>(w.worker), static_cast<double>(w.cpu), static_cast<double>(w.requests),
                             static_cast<double>(w.rows), static_cast<double>(w.batches),
                             static_cast<double>(w.failed_batches), w.mean_batch_rows, w.busy_seconds, w.cpu_seconds,
                             w.load_ms, w.code_cache_accepted ? 1.0 : 0.0, static_cast<double>(w.switches),
                             w.last_switch_ms};
    for (double x : LatencyValues(w.latency)) v.push_back(x);
    v.push_back(static_cast<double>(w.recycles));
    v.push_back(static_cast<double>(w.rollbacks));
    jdoubleArray a = NewDoubleArray(env, v);
    env->SetObjectArrayElement(workers, static_cast<jsize>(i), a);
    env->DeleteLocalRef(a);
    versions.push_back(w.version);
  }
  set(2, workers);
  set(3, NewStringArray(env, versions));
  const WatchStats& w = s.watch;
  set(4, NewDoubleArray(env, {w.active ? 1.0 : 0.0, static_cast<double>(w.polls), static_cast<double>(w.unchanged),
                              static_cast<double>(w.downloads), static_cast<double>(w.failures), w.last_manifest_ms,
                              w.last_download_ms}));
  set(5, NewStringArray(env, {w.source, w.last_error}));
  std::vector<std::string> reasons;
  std::vector<double> counts;
  for (const auto& [reason, count] : w.failures_by_reason) {
    reasons.push_back(reason);
    counts.push_back(static_cast<double>(count));
  }
  set(6, NewStringArray(env, reasons));
  set(7, NewDoubleArray(env, counts));
  set(8, NewStringArray(env, w.bad_versions));
  set(9, NewReloadResult(env, w.last_reload));
  set(10, NewString(env, s.last_rollback));
  return out;
}

bool CallSinkOk(JNIEnv* env, jobject sink, const Prediction& p, jstring version) {
  jfloatArray values = NewFloatArray(env, p.output.data(), p.output.size());
  if (values == nullptr) return false;
  env->CallVoidMethod(sink, g.sink_ok, values, static_cast<jint>(p.output.rows()), static_cast<jint>(p.output.cols()),
                      version, static_cast<jint>(p.worker));
  env->DeleteLocalRef(values);
  return true;
}

void CallSinkFail(JNIEnv* env, jobject sink, jthrowable error) { env->CallVoidMethod(sink, g.sink_fail, error); }

}  // namespace tfjs_run::jni
