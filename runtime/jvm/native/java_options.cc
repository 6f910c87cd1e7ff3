#include "java_options.h"

#include <string>
#include <utility>
#include <vector>

#include "java_types.h"

namespace tfjs_run::jni {
namespace {

constexpr const char* kMismatch = ": the jar and the native library do not match";

// How a Java option field holds its value; null is "not set" for every kind.
enum class JavaType { kLong, kBoolean, kString, kEnum };

// One Java field of an options class and the C++ option it stands for. Numbers and booleans
// travel as an int64_t, strings and enum constants (by name) as text.
template <typename Options>
struct Field {
  const char* name;        // the Java field
  JavaType type;
  const char* enum_class;  // kEnum: the Java enum, e.g. "io/tfjsrun/RuntimeOptions$Pinning"
  OptionRange range;       // kLong: what C++ accepts
  int64_t (*get_number)(const Options&);
  void (*set_number)(Options&, int64_t);
  std::string (*get_text)(const Options&);
  void (*set_text)(Options&, const std::string&);
};

template <typename T>
int64_t AsNumber(const T& value) {
  if constexpr (requires { value.count(); }) {
    return static_cast<int64_t>(value.count());
  } else {
    return static_cast<int64_t>(value);
  }
}

template <typename T>
void SetFromNumber(T& out, int64_t value) {
  if constexpr (requires { out.count(); }) {
    out = T(value);
  } else {
    out = static_cast<T>(value);
  }
}

// A C++ enum's values and the names of the Java enum's constants that stand for them.
template <typename E>
using EnumNames = std::pair<E, const char*>[3];

constexpr EnumNames<RuntimeOptions::Pinning> kPinnings = {{RuntimeOptions::Pinning::kAuto, "AUTO"},
                                                          {RuntimeOptions::Pinning::kAlways, "ALWAYS"},
                                                          {RuntimeOptions::Pinning::kNever, "NEVER"}};
constexpr EnumNames<ModelExec> kModelExecs = {
    {ModelExec::kAuto, "AUTO"}, {ModelExec::kNative, "NATIVE"}, {ModelExec::kTfjs, "TFJS"}};

template <typename E>
std::string NameOf(const EnumNames<E>& names, E value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  throw Error(ErrorKind::kInternal, "a C++ option value has no Java name");
}

template <typename E>
E ValueOf(const EnumNames<E>& names, const std::string& name) {
  for (const auto& [v, n] : names) {
    if (n == name) return v;
  }
  throw Error(ErrorKind::kInternal, "the native library does not know the option value " + name + kMismatch);
}

#define TFJS_NUMBER(Options, java, member, range)                                                   \
  Field<Options> {                                                                                  \
    java, JavaType::kLong, nullptr, range, [](const Options& o) { return AsNumber(o.member); },      \
        [](Options& o, int64_t v) { SetFromNumber(o.member, v); }, nullptr, nullptr                  \
  }
#define TFJS_BOOLEAN(Options, java, member)                                                         \
  Field<Options> {                                                                                  \
    java, JavaType::kBoolean, nullptr, {0, 1}, [](const Options& o) { return AsNumber(o.member); },  \
        [](Options& o, int64_t v) { o.member = v != 0; }, nullptr, nullptr                           \
  }
#define TFJS_STRING(Options, java, member)                                                   \
  Field<Options> {                                                                           \
    java, JavaType::kString, nullptr, {0, 0}, nullptr, nullptr,                              \
        [](const Options& o) { return o.member; }, [](Options& o, const std::string& v) { o.member = v; } \
  }
#define TFJS_ENUM(Options, java, enum_class, member, names)                                          \
  Field<Options> {                                                                                   \
    java, JavaType::kEnum, enum_class, {0, 0}, nullptr, nullptr,                                     \
        [](const Options& o) { return NameOf(names, o.member); },                                    \
        [](Options& o, const std::string& v) { o.member = ValueOf(names, v); }                        \
  }

// Every field of io.tfjsrun.RuntimeOptions, and the C++ option it sets.
using RO = RuntimeOptions;
const Field<RO> kRuntimeFields[] = {
    TFJS_NUMBER(RO, "threads", workers, RO::kWorkers),
    TFJS_ENUM(RO, "pinning", "io/tfjsrun/RuntimeOptions$Pinning", pinning, kPinnings),
    TFJS_NUMBER(RO, "maxBatchRows", max_batch_rows, RO::kMaxBatchRows),
    TFJS_NUMBER(RO, "maxBatchDelayMicros", max_batch_delay, RO::kMaxBatchDelayUs),
    TFJS_NUMBER(RO, "spinMicros", spin, RO::kSpinUs),
    TFJS_BOOLEAN(RO, "callerRuns", caller_runs),
    TFJS_NUMBER(RO, "chunkRows", chunk_rows, RO::kChunkRows),
    TFJS_NUMBER(RO, "maxQueueRows", max_queue_rows, RO::kMaxQueueRows),
    TFJS_NUMBER(RO, "loadTimeoutMs", model.load_timeout, ModelOptions::kLoadTimeoutMs),
    TFJS_NUMBER(RO, "predictTimeoutMs", model.predict_timeout, ModelOptions::kPredictTimeoutMs),
    TFJS_NUMBER(RO, "maxHeapMb", model.max_heap_mb, ModelOptions::kMaxHeapMb),
    TFJS_NUMBER(RO, "maxBufferMb", model.max_buffer_mb, ModelOptions::kMaxBufferMb),
    TFJS_NUMBER(RO, "rollbackWindowMs", rollback_window, RO::kRollbackWindowMs),
    TFJS_NUMBER(RO, "rollbackWindowBatches", rollback_window_batches, RO::kRollbackWindowBatches),
    TFJS_BOOLEAN(RO, "useCodeCache", use_code_cache),
    TFJS_NUMBER(RO, "reloadNice", reload_nice, RO::kReloadNice),
    TFJS_STRING(RO, "codeCacheDir", code_cache_dir),
    TFJS_ENUM(RO, "modelExec", "io/tfjsrun/RuntimeOptions$ModelExec", model.model_exec, kModelExecs),
};

// Every field of io.tfjsrun.WatchOptions, and the C++ option it sets.
using WO = WatchOptions;
const Field<WO> kWatchFields[] = {
    TFJS_STRING(WO, "source", source),
    TFJS_NUMBER(WO, "pollIntervalMs", poll_interval, WO::kPollIntervalMs),
    TFJS_NUMBER(WO, "connectTimeoutMs", connect_timeout, WO::kConnectTimeoutMs),
    TFJS_NUMBER(WO, "totalTimeoutMs", total_timeout, WO::kTotalTimeoutMs),
    TFJS_NUMBER(WO, "maxBundleBytes", max_bundle_bytes, WO::kMaxBundleBytes),
    TFJS_BOOLEAN(WO, "verifyTls", verify_tls),
    TFJS_STRING(WO, "caFile", ca_file),
    TFJS_NUMBER(WO, "maxBackoffMs", max_backoff, WO::kMaxBackoffMs),
};

#undef TFJS_NUMBER
#undef TFJS_BOOLEAN
#undef TFJS_STRING
#undef TFJS_ENUM

template <typename Options>
std::string Signature(const Field<Options>& f) {
  switch (f.type) {
    case JavaType::kLong: return "Ljava/lang/Long;";
    case JavaType::kBoolean: return "Ljava/lang/Boolean;";
    case JavaType::kString: return "Ljava/lang/String;";
    case JavaType::kEnum: return std::string("L") + f.enum_class + ";";
  }
  return {};
}

// "Ljava/lang/Long;" -> "java.lang.Long", "io/tfjsrun/RuntimeOptions$Pinning" -> "io.tfjsrun.RuntimeOptions$Pinning".
std::string JavaName(std::string signature) {
  if (signature.starts_with("L") && signature.ends_with(";")) signature = signature.substr(1, signature.size() - 2);
  for (char& c : signature) {
    if (c == '/') c = '.';
  }
  return signature;
}

// One Java options class: a weak reference (see OwnClass), its no-argument constructor, and the
// ID of each field of its table, in the table's order; null where the class lacks the field.
struct JavaClass {
  const char* name = nullptr;   // "io/tfjsrun/RuntimeOptions"
  const char* label = nullptr;  // "RuntimeOptions", how errors name its fields
  jclass cls = nullptr;
  jmethodID init = nullptr;
  std::vector<jfieldID> fields;
};

struct JavaOptionTypes {
  JavaClass runtime_options{"io/tfjsrun/RuntimeOptions", "RuntimeOptions", nullptr, nullptr, {}};
  JavaClass watch_options{"io/tfjsrun/WatchOptions", "WatchOptions", nullptr, nullptr, {}};
  jclass long_class = nullptr;
  jmethodID long_value_of = nullptr;
  jmethodID long_value = nullptr;
  jclass boolean_class = nullptr;
  jmethodID boolean_value_of = nullptr;
  jmethodID boolean_value = nullptr;
  jmethodID enum_name = nullptr;
};
JavaOptionTypes g;  // per copy of the bridge, i.e. per class loader

template <typename Options, size_t N>
bool Bind(JNIEnv* env, JavaClass& c, const Field<Options> (&table)[N]) {
  c.cls = OwnClass(env, c.name);
  if (c.cls == nullptr) return false;
  c.init = env->GetMethodID(c.cls, "<init>", "()V");
  if (c.init == nullptr) env->ExceptionClear();  // reported when used
  c.fields.clear();
  for (const Field<Options>& f : table) {
    jfieldID id = env->GetFieldID(c.cls, f.name, Signature(f).c_str());
    if (id == nullptr) env->ExceptionClear();  // reported when used
    c.fields.push_back(id);
  }
  return true;
}

// Throws if the Java call just made threw; its exception stays pending, which ThrowJava keeps.
void CheckCall(JNIEnv* env) {
  if (env->ExceptionCheck()) throw Error(ErrorKind::kInternal, "a Java call of the bridge's threw");
}

template <typename Options>
jfieldID FieldId(const JavaClass& c, size_t i, const Field<Options>& f) {
  if (c.fields.size() <= i || c.fields[i] == nullptr) {
    throw Error(ErrorKind::kInternal, JavaName(c.name) + " has no field " + f.name + " of type " +
                                          JavaName(Signature(f)) + kMismatch);
  }
  return c.fields[i];
}

// The options `object` sets, over a default-constructed Options.
template <typename Options, size_t N>
Options Read(JNIEnv* env, const JavaClass& c, const Field<Options> (&table)[N], jobject object) {
  if (object == nullptr) throw Error(ErrorKind::kInternal, std::string("the ") + c.label + " are null");
  if (!env->IsInstanceOf(object, c.cls)) {
    throw Error(ErrorKind::kInternal, std::string("not a ") + JavaName(c.name) + kMismatch);
  }
  Options out;
  for (size_t i = 0; i < N; ++i) {
    const Field<Options>& f = table[i];
    jobject value = env->GetObjectField(object, FieldId(c, i, f));
    if (value == nullptr) continue;  // not set: the C++ default stays
    switch (f.type) {
      case JavaType::kLong: {
        const int64_t v = env->CallLongMethod(value, g.long_value);
        CheckCall(env);
        f.range.Check(std::string(c.label) + "." + f.name, v);
        f.set_number(out, v);
        break;
      }
      case JavaType::kBoolean: {
        const bool v = env->CallBooleanMethod(value, g.boolean_value);
        CheckCall(env);
        f.set_number(out, v ? 1 : 0);
        break;
      }
      case JavaType::kString:
        f.set_text(out, ToString(env, static_cast<jstring>(value)));
        break;
      case JavaType::kEnum: {
        auto name = static_cast<jstring>(env->CallObjectMethod(value, g.enum_name));
        CheckCall(env);
        f.set_text(out, ToString(env, name));
        env->DeleteLocalRef(name);
        break;
      }
    }
    env->DeleteLocalRef(value);
  }
  return out;
}

// Field `f` of `options` as a new local reference of its Java type (null with an exception pending
// if the JVM could not make it).
template <typename Options>
jobject NewValue(JNIEnv* env, const Field<Options>& f, const Options& options) {
  switch (f.type) {
    case JavaType::kLong:
      return env->CallStaticObjectMethod(g.long_class, g.long_value_of, static_cast<jlong>(f.get_number(options)));
    case JavaType::kBoolean:
      return env->CallStaticObjectMethod(g.boolean_class, g.boolean_value_of,
                                         static_cast<jboolean>(f.get_number(options) != 0));
    case JavaType::kString:
      return NewString(env, f.get_text(options));
    case JavaType::kEnum: {
      // FindClass from a native method resolves in its caller's class loader: this bridge's.
      jclass e = env->FindClass(f.enum_class);
      if (e == nullptr) return nullptr;
      const std::string constant = f.get_text(options);
      jfieldID id = env->GetStaticFieldID(e, constant.c_str(), Signature(f).c_str());
      jobject value = id != nullptr ? env->GetStaticObjectField(e, id) : nullptr;
      env->DeleteLocalRef(e);
      if (id == nullptr) {
        env->ExceptionClear();
        throw Error(ErrorKind::kInternal, JavaName(f.enum_class) + " has no constant " + constant + kMismatch);
      }
      return value;
    }
  }
  return nullptr;
}

// A new Java object of class `c` with every field of `table` set from `options`.
template <typename Options, size_t N>
jobject Write(JNIEnv* env, const JavaClass& c, const Field<Options> (&table)[N], const Options& options) {
  if (c.init == nullptr) throw Error(ErrorKind::kInternal, JavaName(c.name) + " has no constructor ()" + kMismatch);
  jobject out = env->NewObject(c.cls, c.init);
  for (size_t i = 0; out != nullptr && i < N; ++i) {
    jfieldID id = FieldId(c, i, table[i]);
    jobject value = NewValue(env, table[i], options);
    if (env->ExceptionCheck()) return nullptr;  // e.g. an OutOfMemoryError
    env->SetObjectField(out, id, value);
    env->DeleteLocalRef(value);
  }
  return out;
}

}  // namespace

bool InitJavaOptions(JNIEnv* env) {
  if (!Bind(env, g.runtime_options, kRuntimeFields) || !Bind(env, g.watch_options, kWatchFields)) return false;
  g.long_class = SystemClass(env, "java/lang/Long");
  g.boolean_class = SystemClass(env, "java/lang/Boolean");
  jclass enum_class = env->FindClass("java/lang/Enum");
  if (!g.long_class || !g.boolean_class || !enum_class) return false;
  g.long_value_of = env->GetStaticMethodID(g.long_class, "valueOf", "(J)Ljava/lang/Long;");
  g.long_value = env->GetMethodID(g.long_class, "longValue", "()J");
  g.boolean_value_of = env->GetStaticMethodID(g.boolean_class, "valueOf", "(Z)Ljava/lang/Boolean;");
  g.boolean_value = env->GetMethodID(g.boolean_class, "booleanValue", "()Z");
  g.enum_name = env->GetMethodID(enum_class, "name", "()Ljava/lang/String;");
  env->DeleteLocalRef(enum_class);
  return g.long_value_of && g.long_value && g.boolean_value_of && g.boolean_value && g.enum_name;
}

void ReleaseJavaOptions(JNIEnv* env) {
  for (jclass c : {g.runtime_options.cls, g.watch_options.cls}) {
    if (c) env->DeleteWeakGlobalRef(c);
  }
  for (jclass c : {g.long_class, g.boolean_class}) {
    if (c) env->DeleteGlobalRef(c);
  }
  g = JavaOptionTypes{};
}

RuntimeOptions ToRuntimeOptions(JNIEnv* env, jobject options) {
  return Read(env, g.runtime_options, kRuntimeFields, options);
}

WatchOptions ToWatchOptions(JNIEnv* env, jobject options) { return Read(env, g.watch_options, kWatchFields, options); }

jobject NewJavaRuntimeOptions(JNIEnv* env, const RuntimeOptions& options) {
  return Write(env, g.runtime_options, kRuntimeFields, options);
}

jobject NewJavaWatchOptions(JNIEnv* env, const WatchOptions& options) {
  return Write(env, g.watch_options, kWatchFields, options);
}

}  // namespace tfjs_run::jni
