package io.tfjsrun;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * Several named tfjs models served at once, added, updated and removed at run time (FLIP-23's
 * model server): the JVM face of the C++ {@code tfjs_run::ModelSet} (docs/models.md). Each model
 * is a runtime of its own, with its own workers, queue, batching, hot reload and stats, so a load
 * or a failure of one never touches another. Safe to call from any number of threads.
 *
 * <pre>{@code
 * try (TfjsModels models = TfjsModels.shared("scoring", RuntimeOptions.defaults().withThreads(1))) {
 *   models.load("wine", bundleBytes, "wine.bundle.js", "7", sample, expected, 1e-4);  // add or update
 *   models.load("hot", hotBytes, "3", RuntimeOptions.defaults().withThreads(4));     // options of its own
 *   DenseMatrix p = models.predict("wine", rows);
 * }
 * }</pre>
 *
 * <p><b>Options per model.</b> A model is added with the set's {@code defaults}, or with the
 * {@link RuntimeOptions} given to the {@code load} or {@code addWatching} that adds it: its own
 * workers, batching, queue bound, deadlines and heap. Those options are the model's whole options,
 * as the set's defaults are (an option they leave unset is the native default, not the set's).
 * They are fixed while the model is in the set: a load that updates a model ignores them, so
 * every subtask applying the same update may pass them; remove the model to add it with others.
 *
 * <p><b>Shared per JVM.</b> {@link #shared} returns a handle to one set per name in this class
 * loader, so every Flink subtask of a job in one TaskManager serves the same models; each handle
 * must be closed, and the last close removes every model after it answered what it accepted. It
 * abandons an update in progress (that load's result says so) rather than wait out its load; a
 * model's first load is waited for.
 * {@link #create} makes a private set. A closed handle throws {@link TfjsException.Kind#SHUTDOWN}.
 *
 * <p><b>Loads are idempotent.</b> {@link #load} of the version a model already serves, from the
 * same bytes (by sha256), returns ok without loading again, so every subtask may apply the same
 * broadcast update. A load that fails leaves the model's serving version, or its absence, as it
 * was, and says why, naming the model and the version.
 *
 * <p><b>Errors</b> are {@link TfjsException}s; an unknown model is {@link
 * TfjsException.Kind#CONTRACT}, naming it. Futures complete on the model's worker threads, as
 * {@link TfjsRuntime}'s do.
 */
public final class TfjsModels implements AutoCloseable {
  // ModelSet's rule for a model name (model_set.h).
  private static final Pattern MODEL_NAME = Pattern.compile("(?!\\.\\.?$)[A-Za-z0-9._-]{1,128}");
  private static final double[] NONE = new double[0];

  private final SharedModelSet shared;
  private final AtomicBoolean closed = new AtomicBoolean();

  private TfjsModels(SharedModelSet shared) {
    this.shared = shared;
  }

  /**
   * A new private set; models are added with {@code defaults} (null: the C++ defaults). Give each
   * model few threads when there are many: every model has its own workers.
   */
  public static TfjsModels create(RuntimeOptions defaults) {
    return new TfjsModels(SharedModelSet.acquire(null, defaults == null ? RuntimeOptions.defaults() : defaults));
  }

  /**
   * The set named {@code setName} in this class loader, made with {@code defaults} by the first
   * call; later calls must give equal defaults (resolved), else IllegalArgumentException.
   */
  public static TfjsModels shared(String setName, RuntimeOptions defaults) {
    Objects.requireNonNull(setName, "setName");
    return new TfjsModels(SharedModelSet.acquire(setName, defaults == null ? RuntimeOptions.defaults() : defaults));
  }

  // --- models -----------------------------------------------------------------------------------

  /** As the full {@link #load(String, byte[], String, String, float[], float[], double)}, with no check rows. */
  public ReloadResult load(String name, byte[] bundle, String version) {
    return load(name, bundle, name, version, null, null, TfjsRuntime.DEFAULT_TOLERANCE);
  }

  /**
   * As {@link #load(String, byte[], String)}, adding the model with {@code options} (null: the
   * set's defaults) if the set has none of that name; an option out of range is an
   * IllegalArgumentException naming the model and the option, and the set is unchanged.
   */
  public ReloadResult load(String name, byte[] bundle, String version, RuntimeOptions options) {
    return load(name, bundle, name, version, null, null, TfjsRuntime.DEFAULT_TOLERANCE, options);
  }

  /** As {@link #load(String, byte[], String)} from a file; one that cannot be read is a result that is not ok. */
  public ReloadResult load(String name, Path bundle, String version) {
    checkName(name);
    byte[] code;
    try {
      code = TfjsRuntime.readBundle(Objects.requireNonNull(bundle, "bundle"));
    } catch (TfjsException e) {
      return new ReloadResult(false, version, "model '" + name + "' version " + version + ": " + e.getMessage(), 0,
          NONE, NONE, NONE);
    }
    return load(name, code, bundle.toString(), version, null, null, TfjsRuntime.DEFAULT_TOLERANCE);
  }

  /**
   * Serves {@code bundle} as model {@code name} under {@code version} ("" or null: the bundle's
   * declared one). Adds the model if the set has none of that name; otherwise hot-reloads it
   * (all workers switch or none, after a warm-up; see {@link TfjsRuntime#reload(byte[], String,
   * String, float[], float[], double)}). When {@code expectedRows} are given, the answers to
   * {@code sampleRows} must match them within {@code tolerance}, or the version never serves.
   *
   * <p>Returns ok at once, loading nothing, if the model already serves {@code version} from the
   * same bytes (the model's last load by bytes, compared by sha256). A load that fails is a result
   * that is not ok whose error names the model and the version; the model keeps serving what it
   * served (or stays absent). A bad name (not 1-128 of [A-Za-z0-9._-], or '.' or '..') is CONTRACT, a null
   * bundle BUNDLE_READ.
   */
  public ReloadResult load(String name, byte[] bundle, String origin, String version, float[] sampleRows,
      float[] expectedRows, double tolerance) {
    return load(name, bundle, origin, version, sampleRows, expectedRows, tolerance, null);
  }

  /**
   * As {@link #load(String, byte[], String, String, float[], float[], double)}, adding the model
   * with {@code options} (null: the set's defaults) if the set has none of that name; a load that
   * updates the model keeps the options it was added with. An option out of range is an
   * IllegalArgumentException naming the model and the option, and the set is unchanged.
   */
  public ReloadResult load(String name, byte[] bundle, String origin, String version, float[] sampleRows,
      float[] expectedRows, double tolerance, RuntimeOptions options) {
    checkName(name);
    if (bundle == null) {
      throw new TfjsException(TfjsException.Kind.BUNDLE_READ, "the bundle for model '" + name + "' is null");
    }
    String wanted = version == null ? "" : version;
    String from = origin == null ? name : origin;
    String sha256 = TfjsRuntime.sha256(bundle);
    return shared.exclusively(name, () -> {
      ReloadResult r;
      if (call(h -> NativeModels.contains(h, name))) {
        String serving = version(name);
        SharedModelSet.Loaded last = shared.loaded.get(name);
        if (last != null && last.sha256().equals(sha256) && last.version().equals(serving)
            && (wanted.isEmpty() || wanted.equals(serving))) {
          return new ReloadResult(true, serving, "", 0, NONE, NONE, NONE);
        }
        r = call(h -> NativeModels.reload(h, name, bundle, from, wanted, sampleRows, expectedRows, tolerance));
      } else {
        r = call(h -> NativeModels.add(h, name, bundle, from, wanted, sampleRows, expectedRows, tolerance, options));
      }
      if (r.ok()) shared.loaded.put(name, new SharedModelSet.Loaded(r.version(), sha256));
      return r;
    });
  }

  /**
   * Adds model {@code name} from the published layout at {@code watch.source()} and follows it
   * (see {@link TfjsRuntime#openWatching}). Throws as that does, naming the model; CONTRACT if
   * the name is taken.
   */
  public void addWatching(String name, WatchOptions watch) {
    addWatching(name, watch, null);
  }

  /**
   * As {@link #addWatching(String, WatchOptions)}, the model with {@code options} (null: the set's
   * defaults); an option out of range is an IllegalArgumentException naming the model and the
   * option, and the set is unchanged.
   */
  public void addWatching(String name, WatchOptions watch, RuntimeOptions options) {
    checkName(name);
    shared.exclusively(name, () -> call(h -> {
      NativeModels.addWatching(h, name, watch, options);
      shared.loaded.remove(name);
      return null;
    }));
  }

  /**
   * Takes model {@code name} out: new calls for it throw CONTRACT at once, every request it
   * accepted is answered, then its isolates are freed. Returns when that is done.
   */
  public void remove(String name) {
    shared.exclusively(Objects.toString(name), () -> call(h -> {
      NativeModels.remove(h, name);
      shared.loaded.remove(name);
      return null;
    }));
  }

  public boolean contains(String name) {
    return name != null && call(h -> NativeModels.contains(h, name));
  }

  /** The models' names, sorted. */
  public List<String> names() {
    return List.of(call(NativeModels::names));
  }

  /** What the version model {@code name} serves declares, and the backend running it. */
  public BundleInfo info(String name) {
    return call(h -> NativeModels.info(h, name));
  }

  /** The version model {@code name} serves now. */
  public String version(String name) {
    return info(name).version();
  }

  // --- predictions ------------------------------------------------------------------------------

  public DenseMatrix predict(String name, DenseMatrix rows) {
    return predictVersioned(name, rows).output();
  }

  /** Predicts {@code rows} rows given row-major (rows x width); returns rows x output width, row-major. */
  public float[] predict(String name, float[] rowMajor, int rows) {
    return predictVersioned(name, rowMajor, rows).values();
  }

  /** Like predict, and says which version of the model computed the rows. */
  public Prediction predictVersioned(String name, DenseMatrix rows) {
    checkMatrix(name, rows);
    return call(h -> NativeModels.predictVersioned(h, name, rows.values(), rows.rows(), rows.cols()));
  }

  public Prediction predictVersioned(String name, float[] rowMajor, int rows) {
    int cols = widthOf(name, rowMajor, rows);
    return call(h -> NativeModels.predictVersioned(h, name, rowMajor, rows, cols));
  }

  /**
   * Queues a copy of the rows for model {@code name} and returns at once (blocking only while its
   * queue is full). The future completes on one of the model's workers.
   */
  public CompletableFuture<DenseMatrix> submit(String name, DenseMatrix rows) {
    checkMatrix(name, rows);
    return enqueue(name, rows.values(), rows.rows(), rows.cols(), false).thenApply(Prediction::output);
  }

  public CompletableFuture<float[]> submit(String name, float[] rowMajor, int rows) {
    return submitVersioned(name, rowMajor, rows).thenApply(Prediction::values);
  }

  public CompletableFuture<Prediction> submitVersioned(String name, float[] rowMajor, int rows) {
    return enqueue(name, rowMajor, rows, widthOf(name, rowMajor, rows), false);
  }

  /** Like submit, but never blocks: when the model's queue is full it throws OVERLOADED at once. */
  public CompletableFuture<DenseMatrix> trySubmit(String name, DenseMatrix rows) {
    checkMatrix(name, rows);
    return enqueue(name, rows.values(), rows.rows(), rows.cols(), true).thenApply(Prediction::output);
  }

  public CompletableFuture<Prediction> trySubmit(String name, float[] rowMajor, int rows) {
    return enqueue(name, rowMajor, rows, widthOf(name, rowMajor, rows), true);
  }

  private CompletableFuture<Prediction> enqueue(String name, float[] data, int rows, int cols, boolean tryOnly) {
    FutureSink sink = new FutureSink();
    call(h -> {
      NativeModels.submit(h, name, data, rows, cols, sink, tryOnly);
      return null;
    });
    return sink;
  }

  // --- stats ------------------------------------------------------------------------------------

  public ModelStats stats(String name) {
    return call(h -> NativeModels.stats(h, name));
  }

  /** Every model's stats, by name. */
  public List<ModelStats> stats() {
    return List.of(call(NativeModels::allStats));
  }

  /** The models' stats in the Prometheus text format (0.0.4), labelled model="name", for a scrape endpoint. */
  public String prometheusText() {
    return call(NativeModels::prometheusText);
  }

  /** How many open handles share this set (this one included). */
  public int sharedBy() {
    return shared.references();
  }

  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Releases this handle. The last handle of a set removes every model: new calls are refused,
   * every accepted request is answered, then the isolates are freed. Idempotent.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) shared.release();
  }

  // --- helpers ----------------------------------------------------------------------------------

  private <T> T call(java.util.function.LongFunction<T> body) {
    if (closed.get()) {
      throw new TfjsException(TfjsException.Kind.SHUTDOWN, "this handle to the model set '" + shared.name + "' is closed");
    }
    return shared.call(body);
  }

  private static void checkName(String name) {
    if (name == null || !MODEL_NAME.matcher(name).matches()) {
      throw new TfjsException(TfjsException.Kind.CONTRACT, "model name " + (name == null ? "null" : "'" + name + "'")
          + " refused: a model name is 1-128 characters of [A-Za-z0-9._-], not '.' or '..'");
    }
  }

  private static void checkMatrix(String name, DenseMatrix rows) {
    if (rows == null) throw new TfjsException(TfjsException.Kind.SHAPE, "model '" + name + "': input is null");
  }

  // As TfjsRuntime's: the width of whole rows, checked here so the message names the model.
  private int widthOf(String name, float[] rowMajor, int rows) {
    String model = "model '" + name + "': ";
    if (rowMajor == null) throw new TfjsException(TfjsException.Kind.SHAPE, model + "input is null");
    if (rows < 0) throw new TfjsException(TfjsException.Kind.SHAPE, model + "negative row count " + rows);
    if (rows == 0) {
      if (rowMajor.length != 0) {
        throw new TfjsException(TfjsException.Kind.SHAPE, model + "0 rows but " + rowMajor.length + " values");
      }
      return (int) Math.max(0, info(name).inputCols());
    }
    if (rowMajor.length % rows != 0) {
      throw new TfjsException(TfjsException.Kind.SHAPE, model + rowMajor.length + " values are not " + rows
          + " rows of equal width");
    }
    return rowMajor.length / rows;
  }

  @Override
  public String toString() {
    return "TfjsModels[" + shared.name + (closed.get() ? ", closed" : "") + "]";
  }
}
