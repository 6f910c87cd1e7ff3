package io.tfjsrun.flink;

import java.util.function.Supplier;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * One model's metrics in a model-stream subtask, under "tfjs" / "model" / name: {@code predictions},
 * {@code errors}, {@code unserved} (records that came while the model served no version),
 * {@code rejectedUpdates} (counted by subtask 0, which reports them), {@code latencyMs} (last 1000
 * records) and {@code version} (the version serving now, "" for none).
 */
final class ModelMetrics {
  private static final int LATENCY_WINDOW = 1000;

  final Counter predictions;
  final Counter errors;
  final Counter unserved;
  final Counter rejectedUpdates;
  private final Histogram latencyMs;

  ModelMetrics(MetricGroup group, Supplier<String> version) {
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
  }

  void predicted(long startNanos) {
    predictions.inc();
    latencyMs.update((System.nanoTime() - startNanos) / 1_000_000);
  }
}
