package io.tfjsrun;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * How a runtime runs a bundle: workers, batching, the queue bound, the code cache, and the
 * per-isolate limits. Immutable and serializable, so a Flink or Spark function can carry it;
 * every {@code withX} returns a copy.
 *
 * <p>An option not set here takes the C++ runtime's default (runtime/include/tfjs_run/runtime.h
 * and model.h, the one place the defaults and ranges live): building, comparing and serializing
 * options never needs the native library, so a job client can do it. The native runtime checks
 * each value set against its range when the options are used ({@link TfjsRuntime#open}, or
 * {@link #resolved()}), and refuses one out of range with an {@link IllegalArgumentException}
 * naming the field and the range.
 *
 * <p>Two opens of the same bundle with the same resolved options share one native runtime in a
 * JVM (an option left unset and the same option set to its default are the same).
 */
public final class RuntimeOptions implements Serializable, Cloneable {
  private static final long serialVersionUID = 2L;

  /** Whether workers are pinned to cores. AUTO pins when every core gets a worker. */
  public enum Pinning { AUTO, ALWAYS, NEVER }

  /**
   * Where the model's math runs: AUTO, natively when every layer of the bundle's model is covered
   * and it agrees with tfjs at load, else tfjs; NATIVE, natively or the open fails saying why;
   * TFJS, always tfjs (docs/native.md). {@link BundleInfo#modelExec()} tells which runs.
   */
  public enum ModelExec { AUTO, NATIVE, TFJS }

  // Null: not set, the C++ default. The native bridge reads (and, for resolved(), writes) these
  // by name and type (runtime/jvm/native/java_options.cc): rename one there too.
  private Long threads;
  private Pinning pinning;
  private Long maxBatchRows;
  private Long maxBatchDelayMicros;
  private Long spinMicros;
  private Boolean callerRuns;
  private Long chunkRows;
  private Long maxQueueRows;
  private Long loadTimeoutMs;
  private Long predictTimeoutMs;
  private Long maxHeapMb;
  private Long maxBufferMb;
  private Long rollbackWindowMs;
  private Long rollbackWindowBatches;
  private Boolean useCodeCache;
  private Long reloadNice;
  private String codeCacheDir;
  private ModelExec modelExec;

  private RuntimeOptions() {}

  /** Nothing set: every option at the native runtime's default. */
  public static RuntimeOptions defaults() {
    return new RuntimeOptions();
  }

  /**
   * These options with every unset one at the native runtime's default, checked against their
   * ranges (IllegalArgumentException naming the field). Loads the native library.
   */
  public RuntimeOptions resolved() {
    NativeLibraryLoader.ensureLoaded();
    return NativeRuntime.resolveRuntimeOptions(this);
  }

  private RuntimeOptions copy() {
    try {
      return (RuntimeOptions) clone();
    } catch (CloneNotSupportedException e) {
      throw new AssertionError(e);
    }
  }

  /** Worker threads, one isolate each. 0 (default): one per CPU this process may run on. */
  public RuntimeOptions withThreads(int threads) {
    RuntimeOptions o = copy();
    o.threads = (long) threads;
    return o;
  }

  public RuntimeOptions withPinning(Pinning pinning) {
    if (pinning == null) throw new IllegalArgumentException("pinning must not be null");
    RuntimeOptions o = copy();
    o.pinning = pinning;
    return o;
  }

  /** Most rows one predict call may get by concatenating queued requests (batching). 1: off. */
  public RuntimeOptions withMaxBatchRows(int rows) {
    RuntimeOptions o = copy();
    o.maxBatchRows = (long) rows;
    return o;
  }

  /** How long a worker waits for more rows before predicting a partial batch. 0 (default): never. */
  public RuntimeOptions withMaxBatchDelayMicros(long micros) {
    RuntimeOptions o = copy();
    o.maxBatchDelayMicros = micros;
    return o;
  }

  /**
   * Latency mode (0, the default: off). A worker that finds the queue empty polls it this long
   * before it sleeps, and a blocking predict polls for its answer as long before it sleeps: a
   * call skips the two thread wake-ups that dominate a native model's batch-1 latency, at the
   * cost of up to this much CPU per idle gap on each worker and caller. Worth it when the
   * workers' cores are the runtime's own.
   */
  public RuntimeOptions withSpinMicros(long micros) {
    RuntimeOptions o = copy();
    o.spinMicros = micros;
    return o;
  }

  /**
   * Whether a blocking predict of at most maxBatchRows rows, on a model that runs natively with
   * no JS, runs on the calling thread with an idle worker's model (default true), as ONNX
   * Runtime's run does: no queue and no thread hand-off. False: every call queues for a worker,
   * which keeps the callers' threads (a Flink task's, say) free of the model's work.
   */
  public RuntimeOptions withCallerRuns(boolean runs) {
    RuntimeOptions o = copy();
    o.callerRuns = runs;
    return o;
  }

  /** Requests with more rows are split into chunks run in parallel. 0: never split. */
  public RuntimeOptions withChunkRows(int rows) {
    RuntimeOptions o = copy();
    o.chunkRows = (long) rows;
    return o;
  }

  /** Most rows queued and not yet taken by a worker (backpressure: submit blocks, trySubmit fails). */
  public RuntimeOptions withMaxQueueRows(int rows) {
    RuntimeOptions o = copy();
    o.maxQueueRows = (long) rows;
    return o;
  }

  public RuntimeOptions withLoadTimeoutMs(long ms) {
    RuntimeOptions o = copy();
    o.loadTimeoutMs = ms;
    return o;
  }

  /**
   * Deadline of each predict call: past it the call is terminated, its requests fail with
   * {@link TfjsException.Kind#TIMEOUT} and the worker's isolate is replaced (default 60 s).
   */
  public RuntimeOptions withPredictTimeoutMs(long ms) {
    RuntimeOptions o = copy();
    o.predictTimeoutMs = ms;
    return o;
  }

  /**
   * JS heap limit per isolate, in MiB (0: V8's default; default 1024). JS past it is terminated:
   * its requests fail with {@link TfjsException.Kind#MEMORY} and the isolate is replaced.
   */
  public RuntimeOptions withMaxHeapMb(int mb) {
    RuntimeOptions o = copy();
    o.maxHeapMb = (long) mb;
    return o;
  }

  /**
   * Budget per isolate for ArrayBuffers and WebAssembly memory, in MiB (0: no limit; default
   * 2048). Enforced like {@link #withMaxHeapMb}.
   */
  public RuntimeOptions withMaxBufferMb(int mb) {
    RuntimeOptions o = copy();
    o.maxBufferMb = (long) mb;
    return o;
  }

  /**
   * The grace window after a reload switches: each worker keeps the previous version for this
   * long, or until this many batches ran on the new version, whichever comes first (0 turns a
   * limit off; both 0, no window). A request the new version fails in the window and the previous
   * answers gets that answer, the runtime rolls back, and the new version is marked bad.
   */
  public RuntimeOptions withRollbackWindow(long ms, long batches) {
    RuntimeOptions o = copy();
    o.rollbackWindowMs = ms;
    o.rollbackWindowBatches = batches;
    return o;
  }

  public RuntimeOptions withCodeCache(boolean use) {
    RuntimeOptions o = copy();
    o.useCodeCache = use;
    return o;
  }

  /** Directory for the V8 code cache, reused across starts. Empty: in memory for this start. */
  public RuntimeOptions withCodeCacheDir(String dir) {
    RuntimeOptions o = copy();
    o.codeCacheDir = dir == null ? "" : dir;
    return o;
  }

  /** Native execution of the model (default AUTO); see {@link ModelExec}. */
  public RuntimeOptions withModelExec(ModelExec exec) {
    if (exec == null) throw new IllegalArgumentException("modelExec must not be null");
    RuntimeOptions o = copy();
    o.modelExec = exec;
    return o;
  }

  /** Niceness of a worker while it loads a new version (0: off). */
  public RuntimeOptions withReloadNice(int nice) {
    RuntimeOptions o = copy();
    o.reloadNice = (long) nice;
    return o;
  }

  // The getters tell the value the runtime uses: an unset one is read from the native library.

  public int threads() {
    return (int) (long) (threads != null ? threads : resolved().threads);
  }

  public int maxBatchRows() {
    return (int) (long) (maxBatchRows != null ? maxBatchRows : resolved().maxBatchRows);
  }

  public int maxQueueRows() {
    return (int) (long) (maxQueueRows != null ? maxQueueRows : resolved().maxQueueRows);
  }

  public long spinMicros() {
    return spinMicros != null ? spinMicros : resolved().spinMicros;
  }

  public String codeCacheDir() {
    return codeCacheDir != null ? codeCacheDir : resolved().codeCacheDir;
  }

  /** The options set, by field name, in declaration order. */
  private Map<String, Object> set() {
    Map<String, Object> m = new LinkedHashMap<>();
    Object[] fields = {"threads", threads, "pinning", pinning, "maxBatchRows", maxBatchRows, "maxBatchDelayMicros",
        maxBatchDelayMicros, "spinMicros", spinMicros, "callerRuns", callerRuns, "chunkRows", chunkRows, "maxQueueRows", maxQueueRows,
        "loadTimeoutMs", loadTimeoutMs, "predictTimeoutMs", predictTimeoutMs, "maxHeapMb", maxHeapMb, "maxBufferMb",
        maxBufferMb, "rollbackWindowMs", rollbackWindowMs, "rollbackWindowBatches", rollbackWindowBatches,
        "useCodeCache", useCodeCache, "reloadNice", reloadNice, "codeCacheDir", codeCacheDir, "modelExec", modelExec};
    for (int i = 0; i < fields.length; i += 2) {
      if (fields[i + 1] != null) m.put((String) fields[i], fields[i + 1]);
    }
    return m;
  }

  /** Equal when they set the same options to the same values (see the class comment on sharing). */
  @Override
  public boolean equals(Object o) {
    return o instanceof RuntimeOptions r && r.set().equals(set());
  }

  @Override
  public int hashCode() {
    return set().hashCode();
  }

  /** The options set, e.g. {@code RuntimeOptions[threads=2, maxBatchRows=32]}. */
  @Override
  public String toString() {
    StringJoiner out = new StringJoiner(", ", "RuntimeOptions[", "]");
    set().forEach((name, value) -> out.add(name + "=" + value));
    return out.toString();
  }
}
