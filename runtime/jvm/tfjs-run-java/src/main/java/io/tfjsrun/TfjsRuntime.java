package io.tfjsrun;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A tfjs bundle served by tfjs-run's native runtime: worker threads pinned one per core, each
 * owning a V8 isolate, with batching across concurrent calls, a bounded queue, hot reload and
 * stats. Safe to call from any number of threads.
 *
 * <pre>{@code
 * try (TfjsRuntime runtime = TfjsRuntime.open(Path.of("ml.bundle.js"))) {
 *   float[] out = runtime.predict(rowsRowMajor, nRows);            // blocking
 *   CompletableFuture<Prediction> f = runtime.submitVersioned(row, 1); // many in flight
 * }
 * }</pre>
 *
 * <p><b>Shared per JVM.</b> Every open of the same bundle (by content) with equal options, in one
 * class loader, returns a handle to one native runtime, so the subtasks of a Flink job in one
 * TaskManager share its isolates and their calls batch together. Each handle must be closed; the
 * last close shuts the runtime down after finishing every request it accepted. A closed handle
 * throws {@link TfjsException.Kind#SHUTDOWN}.
 *
 * <p><b>Futures</b> are completed on the runtime's worker threads: a dependent stage attached
 * with {@code thenApply} (not {@code thenApplyAsync}) runs there and delays that worker's next
 * batch. Keep such stages short, and never call a blocking {@code predict} from one.
 *
 * <p><b>Errors</b> are {@link TfjsException}s carrying the kind, the JS message and stack, and
 * the bundle's name and version; a wrong width or a closed runtime is an exception, never a crash.
 */
public final class TfjsRuntime implements AutoCloseable {
  private final SharedRuntime shared;
  private final AtomicBoolean closed = new AtomicBoolean();

  private TfjsRuntime(SharedRuntime shared) {
    this.shared = shared;
  }

  /** Opens (or shares) the bundle at {@code bundle} with default options: a worker per core. */
  public static TfjsRuntime open(Path bundle) {
    return open(bundle, RuntimeOptions.defaults());
  }

  /** Opens (or shares) the bundle at {@code bundle}; one over the runtime's size limit is refused unread. */
  public static TfjsRuntime open(Path bundle, RuntimeOptions options) {
    return open(readBundle(bundle), bundle.toString(), options);
  }

  /**
   * Opens (or shares) a bundle given as its bytes; {@code origin} names it in errors and JS stacks.
   * A null bundle, or one longer than the runtime's limit (V8's longest string, 2^29 - 24 bytes),
   * is {@link TfjsException.Kind#BUNDLE_READ}.
   */
  public static TfjsRuntime open(byte[] bundle, String origin, RuntimeOptions options) {
    if (bundle == null) {
      throw new TfjsException(TfjsException.Kind.BUNDLE_READ, "the bundle '" + origin + "' is null", "", "", "");
    }
    // Keyed by the resolved options: an unset option and the same one set to its default share.
    String key = "bundle:" + sha256(bundle) + "|" + options.resolved();
    return new TfjsRuntime(SharedRuntime.acquire(key,
        () -> NativeRuntime.start(bundle, origin == null ? "bundle" : origin, options)));
  }

  /**
   * Opens (or shares) the version currently published at {@code watch.source()} (a manifest, see
   * docs/publishing.md) and follows it: new versions are loaded and swapped in on every worker
   * without failing a request. The first version serves under the manifest's version name, and
   * the manifest's expected answers, if it has them, are checked before any request. Throws
   * BUNDLE_READ if the source is down or its manifest is bad, OUTPUT if the answers disagree.
   */
  public static TfjsRuntime openWatching(WatchOptions watch, RuntimeOptions options) {
    String key = "watch:" + watch.resolved() + "|" + options.resolved();
    return new TfjsRuntime(SharedRuntime.acquire(key, () -> NativeRuntime.startWatching(watch, options)));
  }

  // --- blocking calls ---------------------------------------------------------------------------

  /** Predicts {@code rows} rows given row-major (rows x width); returns rows x output width, row-major. */
  public float[] predict(float[] rowMajor, int rows) {
    int cols = widthOf(rowMajor, rows);
    return call(h -> NativeRuntime.predict(h, rowMajor, rows, cols));
  }

  public DenseMatrix predict(DenseMatrix input) {
    return predictVersioned(input).output();
  }

  /** One array per row in, one per row out. */
  public float[][] predict(float[][] rows) {
    return predict(DenseMatrix.of(rows)).toArrays();
  }

  /** Like predict, and says which bundle version computed the rows. */
  public Prediction predictVersioned(float[] rowMajor, int rows) {
    int cols = widthOf(rowMajor, rows);
    return call(h -> NativeRuntime.predictVersioned(h, rowMajor, rows, cols));
  }

  public Prediction predictVersioned(DenseMatrix input) {
    checkMatrix(input);
    return call(h -> NativeRuntime.predictVersioned(h, input.values(), input.rows(), input.cols()));
  }

  // --- asynchronous calls -----------------------------------------------------------------------

  /**
   * Queues a copy of the rows and returns at once (blocking only while the queue is full: that is
   * the backpressure). The future completes on a worker thread with the output, row-major.
   */
  public CompletableFuture<float[]> submit(float[] rowMajor, int rows) {
    return submitVersioned(rowMajor, rows).thenApply(Prediction::values);
  }

  public CompletableFuture<DenseMatrix> submit(DenseMatrix input) {
    checkMatrix(input);
    return enqueue(input.values(), input.rows(), input.cols(), false).thenApply(Prediction::output);
  }

  /** Like submit, and the result says which bundle version computed it. */
  public CompletableFuture<Prediction> submitVersioned(float[] rowMajor, int rows) {
    return enqueue(rowMajor, rows, widthOf(rowMajor, rows), false);
  }

  /**
   * Like submitVersioned, but never blocks: when the queue is full it throws
   * {@link TfjsException.Kind#OVERLOADED} at once (and counts it in stats().rejectedOverloaded).
   */
  public CompletableFuture<Prediction> trySubmit(float[] rowMajor, int rows) {
    return enqueue(rowMajor, rows, widthOf(rowMajor, rows), true);
  }

  private CompletableFuture<Prediction> enqueue(float[] data, int rows, int cols, boolean tryOnly) {
    FutureSink sink = new FutureSink();
    call(h -> {
      NativeRuntime.submit(h, data, rows, cols, sink, tryOnly);
      return null;
    });
    return sink;
  }

  // --- versions ---------------------------------------------------------------------------------

  /**
   * Hot reload: loads {@code bundle} on each worker's own thread, one at a time while the others
   * serve, warms each up, and switches all of them or none. A version that fails is remembered as
   * bad. No request fails or is lost. {@code version} "" takes the bundle's declared version.
   * Affects every handle sharing this runtime. A null bundle, or one longer than the runtime's
   * limit (V8's longest string, 2^29 - 24 bytes), throws {@link TfjsException.Kind#BUNDLE_READ}
   * before anything is loaded.
   */
  public ReloadResult reload(byte[] bundle, String version) {
    return reload(bundle, "reload", version, null);
  }

  /**
   * As {@link #reload(byte[], String)}, warming up on {@code sampleRows} (row-major) if given. A
   * sample that is not whole rows of the bundle's width is refused: the result is not ok and says
   * why, and nothing is loaded.
   */
  public ReloadResult reload(byte[] bundle, String origin, String version, float[] sampleRows) {
    return reload(bundle, origin, version, sampleRows, null, DEFAULT_TOLERANCE);
  }

  /** The default tolerance of {@link #reload(byte[], String, String, float[], float[], double)}. */
  public static final double DEFAULT_TOLERANCE = 1e-4;

  /**
   * As {@link #reload(byte[], String, String, float[])}, and the warm-up's answers to {@code
   * sampleRows} must be {@code expectedRows} (row-major, one row of the output width per sample
   * row, e.g. from your own validation of the model): {@code |got - expected| <= tolerance * (1 +
   * |expected|)}. A version that disagrees is refused, its error naming the row, column and both
   * values, and never serves (docs/publishing.md, "Checking answers").
   */
  public ReloadResult reload(byte[] bundle, String origin, String version, float[] sampleRows, float[] expectedRows,
      double tolerance) {
    return call(h -> NativeRuntime.reload(h, bundle, origin, version == null ? "" : version, sampleRows, expectedRows,
        tolerance));
  }

  /** As {@link #reload(byte[], String)}; a file that cannot be read, or is too long, is a result that is not ok. */
  public ReloadResult reload(Path bundle, String version) {
    byte[] code;
    try {
      code = readBundle(bundle);
    } catch (TfjsException e) {
      return new ReloadResult(false, version, e.getMessage(), 0, new double[0], new double[0], new double[0]);
    }
    return reload(code, bundle.toString(), version, null);
  }

  /**
   * Follows published versions at {@code options.source()}; failures keep the current version
   * serving and are counted in stats().watch. One watch per runtime.
   */
  public void watch(WatchOptions options) {
    call(h -> {
      NativeRuntime.watch(h, options);
      return null;
    });
  }

  // --- what it serves ---------------------------------------------------------------------------

  /** What the current version declares, and the backend running it. */
  public BundleInfo info() {
    return call(NativeRuntime::info);
  }

  public RuntimeStats stats() {
    return call(NativeRuntime::stats);
  }

  /** Worker threads (isolates) of the shared runtime. */
  public int workers() {
    return call(NativeRuntime::workers);
  }

  /** How many open handles share this native runtime (this one included). */
  public int sharedBy() {
    return shared.references();
  }

  /** Benchmark only (tools/bench-jvm.sh): {@code calls} predicts made from C++ on this runtime; nanoseconds. */
  long benchNativePredict(float[] rowMajor, int rows, long calls) {
    int cols = widthOf(rowMajor, rows);
    return call(h -> NativeRuntime.benchPredict(h, rowMajor, rows, cols, calls));
  }

  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Releases this handle. The last handle of a shared runtime shuts it down: new calls are
   * refused, every accepted request completes, then the isolates are freed. Idempotent.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) shared.release();
  }

  // --- helpers ----------------------------------------------------------------------------------

  private <T> T call(java.util.function.LongFunction<T> body) {
    if (closed.get()) {
      throw new TfjsException(TfjsException.Kind.SHUTDOWN, "this TfjsRuntime is closed", "", shared.name, "");
    }
    return shared.call(body);
  }

  private int widthOf(float[] rowMajor, int rows) {
    if (rowMajor == null) throw new TfjsException(TfjsException.Kind.SHAPE, "input is null", "", shared.name, "");
    if (rows < 0) throw new TfjsException(TfjsException.Kind.SHAPE, "negative row count " + rows, "", shared.name, "");
    if (rows == 0) {
      if (rowMajor.length != 0) {
        throw new TfjsException(TfjsException.Kind.SHAPE, "0 rows but " + rowMajor.length + " values", "", shared.name, "");
      }
      return (int) Math.max(0, shared.inputCols);
    }
    if (rowMajor.length % rows != 0) {
      throw new TfjsException(TfjsException.Kind.SHAPE, rowMajor.length + " values are not " + rows + " rows of equal width"
          + (shared.inputCols > 0 ? " (the bundle expects " + shared.inputCols + " columns)" : ""), "", shared.name, "");
    }
    return rowMajor.length / rows;
  }

  /** A bundle file's bytes, refused by its size before it is read (BUNDLE_READ). */
  static byte[] readBundle(Path bundle) {
    try {
      NativeLibraryLoader.ensureLoaded();
      NativeRuntime.checkBundleSize(Files.size(bundle), bundle.toString());
      return Files.readAllBytes(bundle);
    } catch (IOException e) {
      throw new TfjsException(TfjsException.Kind.BUNDLE_READ, "cannot read " + bundle + ": " + e, "", "", "");
    }
  }

  private void checkMatrix(DenseMatrix input) {
    if (input == null) throw new TfjsException(TfjsException.Kind.SHAPE, "input is null", "", shared.name, "");
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "TfjsRuntime[" + shared.name + (closed.get() ? ", closed" : "") + "]";
  }

}
