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
  jclass latency = nullptr;
  jmethodID latency_init = nullptr;
  jclass worker_stats = nullptr;
  jmethodID worker_stats_init = nullptr;
  jclass watch_stats = nullptr;
  jmethodID watch_stats_init = nullptr;
  jclass runtime_stats = nullptr;
  jmethodID runtime_stats_init = nullptr;
  jclass model_stats = nullptr;
  jmethodID model_stats_init = nullptr;
  jclass string = nullptr;
  jclass illegal_argument = nullptr;
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

jdoubleArray NewDoubleArray(JNIEnv* env, const std::vector<double>& v) {
  jdoubleArray a = env->NewDoubleArray(static_cast<jsize>(v.size()));
  if (a != nullptr) env->SetDoubleArrayRegion(a, 0, static_cast<jsize>(v.size()), v.data());
  return a;
}

jlongArray NewLongArray(JNIEnv* env, const std::vector<jlong>& v) {
  jlongArray a = env->NewLongArray(static_cast<jsize>(v.size()));
  if (a != nullptr) env->SetLongArrayRegion(a, 0, static_cast<jsize>(v.size()), v.data());
  return a;
}

}  // namespace

jclass OwnClass(JNIEnv* env, const char* name) { return ClassRef(env, name, Hold::kWeak); }

jclass SystemClass(JNIEnv* env, const char* name) { return ClassRef(env, name, Hold::kStrong); }

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
      "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;[J)V");
  g.reload_result = OwnClass(env, "io/tfjsrun/ReloadResult");
  if (!g.bundle_info_init || !g.reload_result) return false;
  g.reload_result_init = env->GetMethodID(g.reload_result, "<init>", "(ZLjava/lang/String;Ljava/lang/String;D[D[D[D)V");
  g.latency = OwnClass(env, "io/tfjsrun/RuntimeStats$Latency");
  if (!g.reload_result_init || !g.latency) return false;
  g.latency_init = env->GetMethodID(g.latency, "<init>", "(DDDD)V");
  g.worker_stats = OwnClass(env, "io/tfjsrun/RuntimeStats$WorkerStats");
  if (!g.latency_init || !g.worker_stats) return false;
  g.worker_stats_init = env->GetMethodID(g.worker_stats, "<init>",
      "(ILjava/lang/String;IJJJJDDDDZJDJJLio/tfjsrun/RuntimeStats$Latency;)V");
  g.watch_stats = OwnClass(env, "io/tfjsrun/RuntimeStats$WatchStats");
  if (!g.worker_stats_init || !g.watch_stats) return false;
  g.watch_stats_init = env->GetMethodID(g.watch_stats, "<init>",
      "(ZLjava/lang/String;JJJJDDLjava/lang/String;[Ljava/lang/String;[J[Ljava/lang/String;"
      "Lio/tfjsrun/ReloadResult;)V");
  g.runtime_stats = OwnClass(env, "io/tfjsrun/RuntimeStats");
  if (!g.watch_stats_init || !g.runtime_stats) return false;
  g.runtime_stats_init = env->GetMethodID(g.runtime_stats, "<init>",
      "([Lio/tfjsrun/RuntimeStats$WorkerStats;JJLjava/lang/String;JLjava/lang/String;JJJJJ"
      "Lio/tfjsrun/RuntimeStats$Latency;Lio/tfjsrun/RuntimeStats$WatchStats;)V");
  g.model_stats = OwnClass(env, "io/tfjsrun/ModelStats");
  if (!g.runtime_stats_init || !g.model_stats) return false;
  g.model_stats_init = env->GetMethodID(g.model_stats, "<init>",
      "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;JJJJDDDLio/tfjsrun/RuntimeStats;)V");
  g.string = SystemClass(env, "java/lang/String");
  g.illegal_argument = SystemClass(env, "java/lang/IllegalArgumentException");
  jclass sink = env->FindClass("io/tfjsrun/ResultSink");
  if (!g.model_stats_init || !g.string || !g.illegal_argument || !sink) return false;
  g.sink_ok = env->GetMethodID(sink, "ok", "([FIILjava/lang/String;I)V");
  g.sink_fail = env->GetMethodID(sink, "fail", "(Ljava/lang/Throwable;)V");
  env->DeleteLocalRef(sink);
  return g.sink_ok && g.sink_fail;
}

void ReleaseJavaTypes(JNIEnv* env) {
  for (jclass c : {g.tfjs_exception, g.prediction, g.bundle_info, g.reload_result, g.latency, g.worker_stats,
                   g.watch_stats, g.runtime_stats, g.model_stats}) {
    if (c) env->DeleteWeakGlobalRef(c);
  }
  for (jclass c : {g.string, g.illegal_argument}) {
    if (c) env->DeleteGlobalRef(c);
  }
  g = JavaTypes{};
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
  try {
    std::rethrow_exception(error);
  } catch (const OptionError& e) {
    env->ThrowNew(g.illegal_argument, e.what());
    return;
  } catch (...) {
    // Every other exception is a TfjsException, below.
  }
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
  // The outputs as their names and, in a parallel array, each one's [first, end) columns.
  std::vector<std::string> output_names;
  std::vector<jlong> output_columns;
  for (const BundleInfo::OutputColumns& o : info.outputs) {
    output_names.push_back(o.name);
    output_columns.push_back(static_cast<jlong>(o.first_col));
    output_columns.push_back(static_cast<jlong>(o.first_col + o.cols));
  }
  jobjectArray outputs = features != nullptr ? NewStringArray(env, output_names) : nullptr;
  jlongArray columns = outputs != nullptr ? NewLongArray(env, output_columns) : nullptr;
  jobject out = nullptr;
  if (columns != nullptr) {  // else an OutOfMemoryError is pending
    out = env->NewObject(g.bundle_info, g.bundle_info_init, name, version, sha, backend, contract,
                         static_cast<jlong>(info.input_cols), static_cast<jlong>(info.output_cols),
                         static_cast<jlong>(info.max_rows), exec, note, features, outputs, columns);
  }
  for (jobject o : {static_cast<jobject>(name), static_cast<jobject>(version), static_cast<jobject>(sha),
                    static_cast<jobject>(backend), static_cast<jobject>(contract), static_cast<jobject>(exec),
                    static_cast<jobject>(note), static_cast<jobject>(features), static_cast<jobject>(outputs),
                    static_cast<jobject>(columns)}) {
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

namespace {

jobject NewLatency(JNIEnv* env, const LatencyStats& l) {
  return env->NewObject(g.latency, g.latency_init, l.p50_us, l.p90_us, l.p99_us, l.max_us);
}

// Null, with an exception pending, if the JVM could not make it or one of its parts.
jobject NewWorkerStats(JNIEnv* env, const WorkerStats& w) {
  jstring version = NewString(env, w.version);
  jobject latency = version != nullptr ? NewLatency(env, w.latency) : nullptr;
  jobject out = nullptr;
  if (latency != nullptr) {
    out = env->NewObject(g.worker_stats, g.worker_stats_init, static_cast<jint>(w.worker), version,
                         static_cast<jint>(w.cpu), static_cast<jlong>(w.requests), static_cast<jlong>(w.rows),
                         static_cast<jlong>(w.batches), static_cast<jlong>(w.failed_batches), w.mean_batch_rows,
                         w.busy_seconds, w.cpu_seconds, w.load_ms, static_cast<jboolean>(w.code_cache_accepted),
                         static_cast<jlong>(w.switches), w.last_switch_ms, static_cast<jlong>(w.recycles),
                         static_cast<jlong>(w.rollbacks), latency);
  }
  for (jobject o : {static_cast<jobject>(version), latency}) {
    if (o != nullptr) env->DeleteLocalRef(o);
  }
  return out;
}

jobject NewWatchStats(JNIEnv* env, const WatchStats& w) {
  std::vector<std::string> reasons;
  std::vector<jlong> counts;
  for (const auto& [reason, count] : w.failures_by_reason) {
    reasons.push_back(reason);
    counts.push_back(static_cast<jlong>(count));
  }
  jstring source = NewString(env, w.source);
  jstring error = NewString(env, w.last_error);
  jobjectArray reason_array = NewStringArray(env, reasons);
  jlongArray count_array = NewLongArray(env, counts);
  jobjectArray bad = NewStringArray(env, w.bad_versions);
  jobject last = NewReloadResult(env, w.last_reload);
  jobject out = nullptr;
  if (!env->ExceptionCheck()) {
    out = env->NewObject(g.watch_stats, g.watch_stats_init, static_cast<jboolean>(w.active), source,
                         static_cast<jlong>(w.polls), static_cast<jlong>(w.unchanged), static_cast<jlong>(w.downloads),
                         static_cast<jlong>(w.failures), w.last_manifest_ms, w.last_download_ms, error, reason_array,
                         count_array, bad, last);
  }
  for (jobject o : {static_cast<jobject>(source), static_cast<jobject>(error), static_cast<jobject>(reason_array),
                    static_cast<jobject>(count_array), static_cast<jobject>(bad), last}) {
    if (o != nullptr) env->DeleteLocalRef(o);
  }
  return out;
}

}  // namespace

jobject NewRuntimeStats(JNIEnv* env, const RuntimeStats& s) {
  jobjectArray workers = env->NewObjectArray(static_cast<jsize>(s.workers.size()), g.worker_stats, nullptr);
  for (size_t i = 0; workers != nullptr && i < s.workers.size(); ++i) {
    jobject w = NewWorkerStats(env, s.workers[i]);
    if (w == nullptr) break;  // an exception is pending
    env->SetObjectArrayElement(workers, static_cast<jsize>(i), w);
    env->DeleteLocalRef(w);
  }
  if (env->ExceptionCheck()) return nullptr;
  jstring reload_error = NewString(env, s.last_reload_error);
  jstring rollback = NewString(env, s.last_rollback);
  jobject latency = NewLatency(env, s.latency);
  jobject watch = NewWatchStats(env, s.watch);
  jobject out = nullptr;
  if (!env->ExceptionCheck()) {
    out = env->NewObject(g.runtime_stats, g.runtime_stats_init, workers, static_cast<jlong>(s.reloads_ok),
                         static_cast<jlong>(s.reloads_failed), reload_error, static_cast<jlong>(s.rollbacks), rollback,
                         static_cast<jlong>(s.queue_rows), static_cast<jlong>(s.queue_requests),
                         static_cast<jlong>(s.max_queue_rows_seen), static_cast<jlong>(s.rejected_overloaded),
                         static_cast<jlong>(s.recomputed), latency, watch);
  }
  for (jobject o : {static_cast<jobject>(workers), static_cast<jobject>(reload_error), static_cast<jobject>(rollback),
                    latency, watch}) {
    if (o != nullptr) env->DeleteLocalRef(o);
  }
  return out;
}

jobject NewModelStats(JNIEnv* env, const ModelStats& s) {
  jobject runtime = NewRuntimeStats(env, s.runtime);
  if (runtime == nullptr) return nullptr;  // an exception is pending
  jstring name = NewString(env, s.name);
  jstring description = NewString(env, s.description);
  jstring version = NewString(env, s.version);
  jobject out = nullptr;
  if (!env->ExceptionCheck()) {
    out = env->NewObject(g.model_stats, g.model_stats_init, name, description, version,
                         static_cast<jlong>(s.since_ms), static_cast<jlong>(s.version_since_ms),
                         static_cast<jlong>(s.usage), static_cast<jlong>(s.errors), s.duration_sum_ms,
                         s.duration_min_ms, s.duration_max_ms, runtime);
  }
  for (jobject o : {static_cast<jobject>(name), static_cast<jobject>(description), static_cast<jobject>(version),
                    runtime}) {
    if (o != nullptr) env->DeleteLocalRef(o);
  }
  return out;
}

jobjectArray NewModelStatsArray(JNIEnv* env, const std::vector<ModelStats>& stats) {
  jobjectArray a = env->NewObjectArray(static_cast<jsize>(stats.size()), g.model_stats, nullptr);
  for (size_t i = 0; a != nullptr && i < stats.size(); ++i) {
    jobject s = NewModelStats(env, stats[i]);
    if (s == nullptr) return nullptr;  // an exception is pending
    env->SetObjectArrayElement(a, static_cast<jsize>(i), s);
    env->DeleteLocalRef(s);
  }
  return a;
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
