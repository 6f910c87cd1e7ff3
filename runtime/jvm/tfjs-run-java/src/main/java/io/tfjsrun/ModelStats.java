package io.tfjsrun;

/**
 * A snapshot of one named model's stats ({@link TfjsModels#stats(String)}): FLIP-23's (name,
 * description, since, usage, and the sum, min and max of its request durations, submit to answer)
 * and its runtime's.
 */
public final class ModelStats {
  public final String name;
  /** The bundle's name and the version it serves. */
  public final String description;
  /** The version serving now. */
  public final String version;
  /** When the model was added (Unix time, ms). */
  public final long sinceMillis;
  /** When the version serving now started serving (Unix time, ms). */
  public final long versionSinceMillis;
  /** Requests completed, answered or failed. */
  public final long usage;
  /** Of those, failed. */
  public final long errors;
  public final double durationSumMillis;
  public final double durationMinMillis;
  public final double durationMaxMillis;
  /** Rows, batches, latency percentiles, reloads, the queue, per worker. */
  public final RuntimeStats runtime;

  // Made by the native bridge (java_types.cc NewModelStats), which names this signature.
  ModelStats(String name, String description, String version, long sinceMillis, long versionSinceMillis, long usage,
      long errors, double durationSumMillis, double durationMinMillis, double durationMaxMillis, RuntimeStats runtime) {
    this.name = name;
    this.description = description;
    this.version = version;
    this.sinceMillis = sinceMillis;
    this.versionSinceMillis = versionSinceMillis;
    this.usage = usage;
    this.errors = errors;
    this.durationSumMillis = durationSumMillis;
    this.durationMinMillis = durationMinMillis;
    this.durationMaxMillis = durationMaxMillis;
    this.runtime = runtime;
  }

  @Override
  public String toString() {
    return String.format("ModelStats[%s (%s): %d requests, %d failed, duration sum %.1f ms, min %.3f ms, max %.3f ms]",
        name, description, usage, errors, durationSumMillis, durationMinMillis, durationMaxMillis);
  }
}
