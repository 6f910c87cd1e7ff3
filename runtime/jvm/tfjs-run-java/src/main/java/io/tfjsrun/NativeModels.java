package io.tfjsrun;

/**
 * The native methods over a set of named models (runtime/jvm/native/jni_models.cc, registered in
 * the bridge's JNI_OnLoad). A handle is a tfjs_run::ModelSet*; callers guarantee it is live
 * (SharedModelSet). An unknown or null model name is {@link TfjsException.Kind#CONTRACT}.
 */
final class NativeModels {
  private NativeModels() {}

  static native long create(RuntimeOptions defaults);

  /** Removes every model (each finishes the requests it accepted first) and frees the set. */
  static native void close(long handle);

  /** Abandons every model's reload in progress (its result says so); a model's first load is not abandoned. */
  static native void stopReloading(long handle);

  /**
   * Adds a model with {@code options} (null: the set's defaults); a load that fails is a result that is not ok
   * (naming model and version), the set unchanged. An option out of range is an IllegalArgumentException naming
   * the model.
   */
  static native ReloadResult add(long handle, String name, byte[] code, String origin, String version, float[] sample,
      float[] expected, double tolerance, RuntimeOptions options);

  static native void addWatching(long handle, String name, WatchOptions watch, RuntimeOptions options);

  static native ReloadResult reload(long handle, String name, byte[] code, String origin, String version,
      float[] sample, float[] expected, double tolerance);

  /** Takes the model out: new calls are refused, accepted ones are answered, then its isolates go. */
  static native void remove(long handle, String name);

  static native boolean contains(long handle, String name);

  static native String[] names(long handle);

  static native BundleInfo info(long handle, String name);

  static native Prediction predictVersioned(long handle, String name, float[] data, int rows, int cols);

  /** Queues a copy of the rows; {@code sink} is called once, on a worker thread. */
  static native void submit(long handle, String name, float[] data, int rows, int cols, ResultSink sink,
      boolean tryOnly);

  static native ModelStats stats(long handle, String name);

  static native ModelStats[] allStats(long handle);

  static native String prometheusText(long handle);
}
