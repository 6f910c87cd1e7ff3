package io.tfjsrun;

/**
 * The native methods of the JNI bridge (runtime/jvm/native/jni_bridge.cc, registered in its
 * JNI_OnLoad). A handle is a tfjs_run::Runtime*; callers guarantee it is live (SharedRuntime).
 */
final class NativeRuntime {
  private NativeRuntime() {}

  static native long start(byte[] code, String origin, RuntimeOptions options);

  static native long startWatching(WatchOptions watch, RuntimeOptions options);

  /** Stops intake, finishes every accepted request (their sinks are called), frees the runtime. */
  static native void shutdown(long handle);

  /** Abandons a reload in progress (its loading isolate is terminated) and refuses new ones. */
  static native void stopReloading(long handle);

  static native float[] predict(long handle, float[] data, int rows, int cols);

  static native Prediction predictVersioned(long handle, float[] data, int rows, int cols);

  /** Queues a copy of the rows; {@code sink} is called once, on a worker thread. */
  static native void submit(long handle, float[] data, int rows, int cols, ResultSink sink, boolean tryOnly);

  static native ReloadResult reload(long handle, byte[] code, String origin, String version, float[] sample,
      float[] expected, double tolerance);

  static native void watch(long handle, WatchOptions watch);

  static native BundleInfo info(long handle);

  static native RuntimeStats stats(long handle);

  /** {@code options} with every unset field at the C++ default; IllegalArgumentException if one is out of range. */
  static native RuntimeOptions resolveRuntimeOptions(RuntimeOptions options);

  static native WatchOptions resolveWatchOptions(WatchOptions options);

  static native int workers(long handle);

  /**
   * Throws {@link TfjsException.Kind#BUNDLE_READ}, naming {@code origin} and its size, if a bundle
   * of {@code bytes} is over the runtime's one size limit (V8's longest string).
   */
  static native void checkBundleSize(long bytes, String origin);

  /** Async callbacks whose Java sink is still referenced (in flight, or leaked). */
  static native long liveCallbacks();

  /** Benchmark only: {@code calls} blocking predicts made from C++ on this thread; nanoseconds. */
  static native long benchPredict(long handle, float[] data, int rows, int cols, long calls);

  /** Benchmark only: Predict's JNI work (copy in, new result array) without the runtime call. */
  static native float[] benchRoundTrip(float[] data, int rows, int cols, int outCols);
}
