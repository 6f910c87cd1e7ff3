package io.tfjsrun;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A snapshot of a runtime's counters: per worker, the queue, reloads and the version watcher. */
public final class RuntimeStats {

  /** Request latency, submit to result, in microseconds. */
  public static final class Latency {
    public final double p50Us;
    public final double p90Us;
    public final double p99Us;
    public final double maxUs;

    Latency(double[] v, int at) {
      p50Us = v[at];
      p90Us = v[at + 1];
      p99Us = v[at + 2];
      maxUs = v[at + 3];
    }

    @Override
    public String toString() {
      return String.format("p50 %.0f us, p99 %.0f us, max %.0f us", p50Us, p99Us, maxUs);
    }
  }

  /** One worker thread and its isolate. */
  public static final class WorkerStats {
    public final int worker;
    /** The bundle version this worker serves now. */
    public final String version;
    /** The CPU it is pinned to, -1 if not pinned. */
    public final int cpu;
    public final long requests;
    public final long rows;
    /** Predict calls: each may hold rows of many requests. */
    public final long batches;
    public final long failedBatches;
    public final double meanBatchRows;
    public final double busySeconds;
    /** CPU time of the worker's thread. */
    public final double cpuSeconds;
    public final double loadMs;
    public final boolean codeCacheAccepted;
    public final long switches;
    public final double lastSwitchMs;
    /** Isolates replaced after a call broke one (deadline, memory budget). */
    public final long recycles;
    /** Times it swapped the previous version back in (a rollback in the grace window). */
    public final long rollbacks;
    public final Latency latency;

    // Layout (native bridge, java_types.cc): worker, cpu, requests, rows, batches, failed_batches,
    // mean_batch_rows, busy_seconds, cpu_seconds, load_ms, code_cache_accepted, switches,
    // last_switch_ms, latency p50, p90, p99, max, recycles, rollbacks.
    WorkerStats(double[] v, String version) {
      this.worker = (int) v[0];
      this.version = version;
      this.cpu = (int) v[1];
      this.requests = (long) v[2];
      this.rows = (long) v[3];
      this.batches = (long) v[4];
      this.failedBatches = (long) v[5];
      this.meanBatchRows = v[6];
      this.busySeconds = v[7];
      this.cpuSeconds = v[8];
      this.loadMs = v[9];
      this.codeCacheAccepted = v[10] != 0;
      this.switches = (long) v[11];
      this.lastSwitchMs = v[12];
      this.latency = new Latency(v, 13);
      this.recycles = (long) v[17];
      this.rollbacks = (long) v[18];
    }

    @Override
    public String toString() {
      return String.format("worker %d (cpu %d, version %s): %d requests, %d rows, %d batches (%.1f rows), %d failed, %s",
          worker, cpu, version, requests, rows, batches, meanBatchRows, failedBatches, latency);
    }
  }

  /** The version poller (watch): what it fetched, and why it did not switch. */
  public static final class WatchStats {
    public final boolean active;
    public final String source;
    public final long polls;
    public final long unchanged;
    public final long downloads;
    public final long failures;
    public final double lastManifestMs;
    public final double lastDownloadMs;
    public final String lastError;
    /** Failures by reason, e.g. {"http-404": 2}. */
    public final Map<String, Long> failuresByReason;
    /** Versions that failed to load or warm up, skipped until a newer one. */
    public final List<String> badVersions;
    /** The last reload the watcher asked for. */
    public final ReloadResult lastReload;

    WatchStats(double[] v, String[] strings, String[] reasons, double[] counts, String[] bad, ReloadResult last) {
      active = v[0] != 0;
      polls = (long) v[1];
      unchanged = (long) v[2];
      downloads = (long) v[3];
      failures = (long) v[4];
      lastManifestMs = v[5];
      lastDownloadMs = v[6];
      source = strings[0];
      lastError = strings[1];
      Map<String, Long> byReason = new LinkedHashMap<>();
      for (int i = 0; i < reasons.length; i++) byReason.put(reasons[i], (long) counts[i]);
      failuresByReason = Collections.unmodifiableMap(byReason);
      badVersions = List.of(bad);
      lastReload = last;
    }

    @Override
    public String toString() {
      return active ? "watching " + source + ": " + polls + " polls, " + downloads + " downloads, " + failures
          + " failures " + failuresByReason : "not watching";
    }
  }

  public final List<WorkerStats> workers;
  public final long reloadsOk;
  public final long reloadsFailed;
  public final String lastReloadError;
  /** Switches undone in their grace window (RuntimeOptions#withRollbackWindow). */
  public final long rollbacks;
  /** Which version was rolled back, to which, and the error of the request that did it. */
  public final String lastRollback;
  /** Rows waiting now. */
  public final long queueRows;
  public final long queueRequests;
  public final long maxQueueRowsSeen;
  /** trySubmit refusals. */
  public final long rejectedOverloaded;
  /** Requests whose chunks straddled a version switch, run again whole. */
  public final long recomputed;
  public final Latency latency;
  public final WatchStats watch;

  // Layout (native bridge, java_types.cc NewStatsArrays):
  // [0] double[]: reloads_ok, reloads_failed, queue_rows, queue_requests, max_queue_rows_seen,
  //               rejected_overloaded, recomputed, latency p50, p90, p99, max, rollbacks
  // [1] String last_reload_error  [2] double[][] per worker (see WorkerStats)  [3] String[] versions
  // [4] double[] watch: active, polls, unchanged, downloads, failures, last_manifest_ms, last_download_ms
  // [5] String[] watch: source, last_error  [6] String[] failure reasons  [7] double[] their counts
  // [8] String[] bad versions  [9] ReloadResult the watcher's last reload  [10] String last_rollback
  RuntimeStats(Object[] a) {
    double[] r = (double[]) a[0];
    reloadsOk = (long) r[0];
    reloadsFailed = (long) r[1];
    queueRows = (long) r[2];
    queueRequests = (long) r[3];
    maxQueueRowsSeen = (long) r[4];
    rejectedOverloaded = (long) r[5];
    recomputed = (long) r[6];
    latency = new Latency(r, 7);
    rollbacks = (long) r[11];
    lastReloadError = (String) a[1];
    lastRollback = (String) a[10];
    double[][] w = (double[][]) a[2];
    String[] versions = (String[]) a[3];
    List<WorkerStats> list = new ArrayList<>();
    for (int i = 0; i < w.length; i++) list.add(new WorkerStats(w[i], versions[i]));
    workers = Collections.unmodifiableList(list);
    watch = new WatchStats((double[]) a[4], (String[]) a[5], (String[]) a[6], (double[]) a[7], (String[]) a[8],
        (ReloadResult) a[9]);
  }

  /** Rows predicted by all workers. */
  public long totalRows() {
    return workers.stream().mapToLong(w -> w.rows).sum();
  }

  /** Requests (or chunks of requests) completed by all workers. */
  public long totalRequests() {
    return workers.stream().mapToLong(w -> w.requests).sum();
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("RuntimeStats[");
    for (WorkerStats w : workers) out.append("\n  ").append(w);
    out.append("\n  queue ").append(queueRows).append(" rows (max ").append(maxQueueRowsSeen).append("), overloaded ")
        .append(rejectedOverloaded).append(", reloads ").append(reloadsOk).append(" ok / ").append(reloadsFailed)
        .append(" failed, ").append(rollbacks).append(" rolled back, ").append(latency).append("\n  ").append(watch).append("\n]");
    return out.toString();
  }
}
