package io.tfjsrun;

import java.io.Serializable;
import java.util.Objects;

/**
 * How a runtime runs a bundle: workers, batching, the queue bound, the code cache, and the
 * per-isolate limits. The defaults are the C++ runtime's measured ones (see
 * runtime/include/tfjs_run/runtime.h). Immutable and serializable, so a Flink or Spark function
 * can carry it; every {@code withX} returns a copy.
 *
 * <p>Two opens of the same bundle with equal options share one native runtime in a JVM.
 */
public final class RuntimeOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Whether workers are pinned to cores. AUTO pins when every core gets a worker. */
  public enum Pinning { AUTO, ALWAYS, NEVER }

  /**
   * Where the model's math runs: AUTO, natively when every layer of the bundle's model is covered
   * and it agrees with tfjs at load, else tfjs; NATIVE, natively or the open fails saying why;
   * TFJS, always tfjs (docs/native.md). {@link BundleInfo#modelExec()} tells which runs.
   */
  public enum ModelExec { AUTO, NATIVE, TFJS }

  private int threads = 0;
  private Pinning pinning = Pinning.AUTO;
  private int maxBatchRows = 64;
  private long maxBatchDelayMicros = 0;
  private int chunkRows = 256;
  private int maxQueueRows = 65536;
  private long loadTimeoutMs = 30000;
  private long predictTimeoutMs = 60000;
  private int maxHeapMb = 1024;
  private int maxBufferMb = 2048;
  private long rollbackWindowMs = 60000;
  private long rollbackWindowBatches = 10000;
  private boolean useCodeCache = true;
  private int reloadNice = 10;
  private String codeCacheDir = "";
  private ModelExec modelExec = ModelExec.AUTO;

  public static RuntimeOptions defaults() {
    return new RuntimeOptions();
  }

  private RuntimeOptions copy() {
    RuntimeOptions o = new RuntimeOptions();
    o.threads = threads;
    o.pinning = pinning;
    o.maxBatchRows = maxBatchRows;
    o.maxBatchDelayMicros = maxBatchDelayMicros;
    o.chunkRows = chunkRows;
    o.maxQueueRows = maxQueueRows;
    o.loadTimeoutMs = loadTimeoutMs;
    o.predictTimeoutMs = predictTimeoutMs;
    o.maxHeapMb = maxHeapMb;
    o.maxBufferMb = maxBufferMb;
    o.rollbackWindowMs = rollbackWindowMs;
    o.rollbackWindowBatches = rollbackWindowBatches;
    o.useCodeCache = useCodeCache;
    o.reloadNice = reloadNice;
    o.codeCacheDir = codeCacheDir;
    o.modelExec = modelExec;
    return o;
  }

  private static int check(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + value);
    }
    return (int) Math.min(value, Integer.MAX_VALUE);
  }

  /** Worker threads, one isolate each. 0 (default): one per CPU this process may run on. */
  public RuntimeOptions withThreads(int threads) {
    RuntimeOptions o = copy();
    o.threads = check("threads", threads, 0, 1024);
    return o;
  }

  public RuntimeOptions withPinning(Pinning pinning) {
    RuntimeOptions o = copy();
    o.pinning = Objects.requireNonNull(pinning);
    return o;
  }

  /** Most rows one predict call may get by concatenating queued requests (batching). 1: off. */
  public RuntimeOptions withMaxBatchRows(int rows) {
    RuntimeOptions o = copy();
    o.maxBatchRows = check("maxBatchRows", rows, 1, 1 << 24);
    return o;
  }

  /** How long a worker waits for more rows before predicting a partial batch. 0 (default): never. */
  public RuntimeOptions withMaxBatchDelayMicros(long micros) {
    RuntimeOptions o = copy();
    o.maxBatchDelayMicros = check("maxBatchDelayMicros", micros, 0, 10_000_000);
    return o;
  }

  /** Requests with more rows are split into chunks run in parallel. 0: never split. */
  public RuntimeOptions withChunkRows(int rows) {
    RuntimeOptions o = copy();
    o.chunkRows = check("chunkRows", rows, 0, 1 << 24);
    return o;
  }

  /** Most rows queued and not yet taken by a worker (backpressure: submit blocks, trySubmit fails). */
  public RuntimeOptions withMaxQueueRows(int rows) {
    RuntimeOptions o = copy();
    o.maxQueueRows = check("maxQueueRows", rows, 1, Integer.MAX_VALUE);
    return o;
  }

  public RuntimeOptions withLoadTimeoutMs(long ms) {
    RuntimeOptions o = copy();
    o.loadTimeoutMs = check("loadTimeoutMs", ms, 1, 3_600_000);
    return o;
  }

  /**
   * Deadline of each predict call: past it the call is terminated, its requests fail with
   * {@link TfjsException.Kind#TIMEOUT} and the worker's isolate is replaced (default 60 s).
   */
  public RuntimeOptions withPredictTimeoutMs(long ms) {
    RuntimeOptions o = copy();
    o.predictTimeoutMs = check("predictTimeoutMs", ms, 1, 86_400_000);
    return o;
  }

  /**
   * JS heap limit per isolate, in MiB (0: V8's default; default 1024). JS past it is terminated:
   * its requests fail with {@link TfjsException.Kind#MEMORY} and the isolate is replaced.
   */
  public RuntimeOptions withMaxHeapMb(int mb) {
    RuntimeOptions o = copy();
    o.maxHeapMb = mb == 0 ? 0 : check("maxHeapMb", mb, 16, 1 << 20);
    return o;
  }

  /**
   * Budget per isolate for ArrayBuffers and WebAssembly memory, in MiB (0: no limit; default
   * 2048). Enforced like {@link #withMaxHeapMb}.
   */
  public RuntimeOptions withMaxBufferMb(int mb) {
    RuntimeOptions o = copy();
    o.maxBufferMb = check("maxBufferMb", mb, 0, 1 << 22);
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
    o.rollbackWindowMs = check("rollbackWindowMs", ms, 0, 86_400_000L);
    o.rollbackWindowBatches = batches;
    if (batches < 0) throw new IllegalArgumentException("rollbackWindowBatches must be >= 0, got " + batches);
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
    o.reloadNice = check("reloadNice", nice, 0, 19);
    return o;
  }

  public int threads() {
    return threads;
  }

  public int maxBatchRows() {
    return maxBatchRows;
  }

  public int maxQueueRows() {
    return maxQueueRows;
  }

  public String codeCacheDir() {
    return codeCacheDir;
  }

  /** Layout read by the native bridge (jni_bridge.cc ToRuntimeOptions). */
  long[] toNative() {
    return new long[] {threads, pinning.ordinal(), maxBatchRows, maxBatchDelayMicros, chunkRows, maxQueueRows,
        loadTimeoutMs, maxHeapMb, useCodeCache ? 1 : 0, reloadNice, predictTimeoutMs, maxBufferMb, rollbackWindowMs,
        rollbackWindowBatches, modelExec.ordinal()};
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RuntimeOptions r && r.toString().equals(toString());
  }

  @Override
  public int hashCode() {
    return toString().hashCode();
  }

  @Override
  public String toString() {
    return "RuntimeOptions[threads=" + threads + ", pinning=" + pinning + ", maxBatchRows=" + maxBatchRows
        + ", maxBatchDelayMicros=" + maxBatchDelayMicros + ", chunkRows=" + chunkRows + ", maxQueueRows="
        + maxQueueRows + ", loadTimeoutMs=" + loadTimeoutMs + ", predictTimeoutMs=" + predictTimeoutMs
        + ", maxHeapMb=" + maxHeapMb + ", maxBufferMb=" + maxBufferMb + ", rollbackWindowMs=" + rollbackWindowMs
        + ", rollbackWindowBatches=" + rollbackWindowBatches + ", codeCache=" + useCodeCache + ", reloadNice=" + reloadNice + ", codeCacheDir=" + codeCacheDir + ", modelExec=" + modelExec + "]";
  }
}
