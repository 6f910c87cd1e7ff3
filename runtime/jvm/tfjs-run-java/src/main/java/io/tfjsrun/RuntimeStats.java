package io.tfjsrun;

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

    Latency(double p50Us, double p90Us, double p99Us, double maxUs) {
      this.p50Us = p50Us;
      this.p90Us = p90Us;
      this.p99Us = p99Us;
      this.maxUs = maxUs;
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

    // Made by the native bridge (java_types.cc NewWorkerStats), which names this signature.
    WorkerStats(int worker, String version, int cpu, long requests, long rows, long batches, long failedBatches,
        double meanBatchRows, double busySeconds, double cpuSeconds, double loadMs, boolean codeCacheAccepted,
        long switches, double lastSwitchMs, long recycles, long rollbacks, Latency latency) {
      this.worker = worker;
      this.version = version;
      this.cpu = cpu;
      this.requests = requests;
      this.rows = rows;
      this.batches = batches;
      this.failedBatches = failedBatches;
      this.meanBatchRows = meanBatchRows;
      this.busySeconds = busySeconds;
      this.cpuSeconds = cpuSeconds;
      this.loadMs = loadMs;
      this.codeCacheAccepted = codeCacheAccepted;
      this.switches = switches;
      this.lastSwitchMs = lastSwitchMs;
      this.recycles = recycles;
      this.rollbacks = rollbacks;
      this.latency = latency;
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

    // Made by the native bridge (java_types.cc NewWatchStats): failures by reason as two arrays
    // of one length.
    WatchStats(boolean active, String source, long polls, long unchanged, long downloads, long failures,
        double lastManifestMs, double lastDownloadMs, String lastError, String[] reasons, long[] counts,
        String[] badVersions, ReloadResult lastReload) {
      this.active = active;
      this.source = source;
      this.polls = polls;
      this.unchanged = unchanged;
      this.downloads = downloads;
      this.failures = failures;
      this.lastManifestMs = lastManifestMs;
      this.lastDownloadMs = lastDownloadMs;
      this.lastError = lastError;
      Map<String, Long> byReason = new LinkedHashMap<>();
      for (int i = 0; i < reasons.length; i++) byReason.put(reasons[i], counts[i]);
      this.failuresByReason = Collections.unmodifiableMap(byReason);
      this.badVersions = List.of(badVersions);
      this.lastReload = lastReload;
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

  // Made by the native bridge (java_types.cc NewRuntimeStats), which names this signature.
  RuntimeStats(WorkerStats[] workers, long reloadsOk, long reloadsFailed, String lastReloadError, long rollbacks,
      String lastRollback, long queueRows, long queueRequests, long maxQueueRowsSeen, long rejectedOverloaded,
      long recomputed, Latency latency, WatchStats watch) {
    this.workers = List.of(workers);
    this.reloadsOk = reloadsOk;
    this.reloadsFailed = reloadsFailed;
    this.lastReloadError = lastReloadError;
    this.rollbacks = rollbacks;
    this.lastRollback = lastRollback;
    this.queueRows = queueRows;
    this.queueRequests = queueRequests;
    this.maxQueueRowsSeen = maxQueueRowsSeen;
    this.rejectedOverloaded = rejectedOverloaded;
    this.recomputed = recomputed;
    this.latency = latency;
    this.watch = watch;
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
