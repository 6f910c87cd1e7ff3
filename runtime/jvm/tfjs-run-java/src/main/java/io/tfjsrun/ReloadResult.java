package io.tfjsrun;

import java.util.Arrays;

/** The outcome of a reload: every worker switched to the new version, or none did. */
public final class ReloadResult {
  private final boolean ok;
  private final String version;
  private final String error;
  private final double totalMs;
  private final double[] workerLoadMs;
  private final double[] workerWarmupMs;
  private final double[] workerSwitchMs;

  ReloadResult(boolean ok, String version, String error, double totalMs, double[] workerLoadMs,
      double[] workerWarmupMs, double[] workerSwitchMs) {
    this.ok = ok;
    this.version = version;
    this.error = error;
    this.totalMs = totalMs;
    this.workerLoadMs = workerLoadMs;
    this.workerWarmupMs = workerWarmupMs;
    this.workerSwitchMs = workerSwitchMs;
  }

  public boolean ok() {
    return ok;
  }

  public String version() {
    return version;
  }

  /** Why not, naming the version; empty when ok. */
  public String error() {
    return error;
  }

  public double totalMs() {
    return totalMs;
  }

  public double[] workerLoadMs() {
    return workerLoadMs.clone();
  }

  public double[] workerWarmupMs() {
    return workerWarmupMs.clone();
  }

  public double[] workerSwitchMs() {
    return workerSwitchMs.clone();
  }

  @Override
  public String toString() {
    return ok ? "ReloadResult[ok, version " + version + ", " + totalMs + " ms, load " + Arrays.toString(workerLoadMs) + "]"
              : "ReloadResult[failed, version " + version + ": " + error + "]";
  }
}
