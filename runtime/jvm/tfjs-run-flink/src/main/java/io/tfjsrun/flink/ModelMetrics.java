package io.tfjsrun.flink;

import io.tfjsrun.ModelStats;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * One model's metrics in a model-stream subtask, under "tfjs" / "model" / name.
 *
 * <p>Counters of this subtask: {@code predictions}, {@code errors} (failed predictions),
 * {@code unserved} (records that came while the model served no version), {@code rejectedUpdates}
 * (counted by the subtask that reports them), {@code latencyMs} (last 1000 records), and
 * {@code version} (the version serving now, "" for none).
 *
 * <p>Gauges of the TaskManager's model (FLIP-23's stats, shared by its subtasks, so every subtask
 * of a TaskManager reports the same values): {@code usage} (requests completed), {@code
 * durationSumMs}, {@code durationMinMs}, {@code durationMaxMs} (submit to answer), {@code
 * sinceMs} (when the model was added, Unix ms) and {@code servingSinceMs} (when its version
 * started serving); 0 while it serves nothing. (No name extends {@code version}'s, so a reporter
 * filtering by name prefix finds one metric.)
 */
final class ModelMetrics {
  private static final int LATENCY_WINDOW = 1000;
  // A reporter reads the gauges one after another: one native stats call serves them all.
  private static final long STATS_MAX_AGE_NANOS = 500_000_000L;

  final Counter predictions;
  final Counter errors;
  final Counter unserved;
  final Counter rejectedUpdates;
  private final Histogram latencyMs;
  private final Supplier<ModelStats> stats;
  private ModelStats last;
  private long lastRead = Long.MIN_VALUE;

  ModelMetrics(MetricGroup group, Supplier<String> version, Supplier<ModelStats> stats) {
    this.stats = stats;
    predictions = group.counter("predictions");
    errors = group.counter("errors");
    unserved = group.counter("unserved");
    rejectedUpdates = group.counter("rejectedUpdates");
    latencyMs = group.histogram("latencyMs", new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
    Gauge<String> serving = () -> {
      String v = version.get();
      return v == null ? "" : v;
    };
    group.gauge("version", serving);
    gauge(group, "usage", s -> s.usage);
    gauge(group, "durationSumMs", s -> s.durationSumMillis);
    gauge(group, "durationMinMs", s -> s.durationMinMillis);
    gauge(group, "durationMaxMs", s -> s.durationMaxMillis);
    gauge(group, "sinceMs", s -> s.sinceMillis);
    gauge(group, "servingSinceMs", s -> s.versionSinceMillis);
  }

  private <T extends Number> void gauge(MetricGroup group, String name, Function<ModelStats, T> field) {
    Gauge<Number> g = () -> {
      ModelStats s = stats();
      return s == null ? 0 : field.apply(s);
    };
    group.gauge(name, g);
  }

  private synchronized ModelStats stats() {
    long now = System.nanoTime();
    if (lastRead == Long.MIN_VALUE || now - lastRead > STATS_MAX_AGE_NANOS) {
      last = stats.get();
      lastRead = now;
    }
    return last;
  }

  void predicted(long startNanos) {
    predictions.inc();
    latencyMs.update((System.nanoTime() - startNanos) / 1_000_000);
  }
}
