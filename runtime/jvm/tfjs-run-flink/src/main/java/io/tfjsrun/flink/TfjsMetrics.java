package io.tfjsrun.flink;

import io.tfjsrun.RuntimeStats;
import io.tfjsrun.TfjsRuntime;
import java.util.function.ToLongFunction;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * A subtask's metrics, under its operator's group "tfjs".
 *
 * <ul>
 *   <li>This subtask's own: {@code predictions} and {@code errors} (counters), {@code latencyMs}
 *       (a histogram of the time from submit to answer, over the last 1000 records, or batches for
 *       TfjsBatchOperator, which samples the oldest record of each), and
 *       {@code version} (the bundle version of its latest answer).
 *   <li>The TaskManager's shared runtime's (the same numbers in every subtask that shares it):
 *       {@code runtimeRows} (rows predicted), {@code queueRows} (rows waiting),
 *       {@code rejectedOverloaded}, {@code reloads}, {@code sharedBy}.
 * </ul>
 */
final class TfjsMetrics {
  private static final int LATENCY_WINDOW = 1000;

  private final Counter predictions;
  private final Counter errors;
  private final Histogram latencyMs;
  private volatile String version;

  private TfjsMetrics(MetricGroup group, TfjsRuntime runtime) {
    // Counted on the runtime's worker threads, several at once: Flink's default counter is not thread-safe.
    predictions = group.counter("predictions", new ThreadSafeSimpleCounter());
    errors = group.counter("errors", new ThreadSafeSimpleCounter());
    latencyMs = group.histogram("latencyMs", new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
    version = runtime.info().version();
  }

  static TfjsMetrics register(RuntimeContext context, TfjsRuntime runtime) {
    MetricGroup group = context.getMetricGroup().addGroup("tfjs");
    TfjsMetrics metrics = new TfjsMetrics(group, runtime);
    Gauge<String> version = () -> metrics.version;
    group.gauge("version", version);
    Gauge<Long> rows = () -> stat(runtime, RuntimeStats::totalRows);
    group.gauge("runtimeRows", rows);
    Gauge<Long> queued = () -> stat(runtime, s -> s.queueRows);
    group.gauge("queueRows", queued);
    Gauge<Long> overloaded = () -> stat(runtime, s -> s.rejectedOverloaded);
    group.gauge("rejectedOverloaded", overloaded);
    Gauge<Long> reloads = () -> stat(runtime, s -> s.reloadsOk);
    group.gauge("reloads", reloads);
    Gauge<Integer> sharedBy = runtime::sharedBy;
    group.gauge("sharedBy", sharedBy);
    return metrics;
  }

  private static long stat(TfjsRuntime runtime, ToLongFunction<RuntimeStats> field) {
    return runtime.isClosed() ? 0 : field.applyAsLong(runtime.stats());
  }

  void predicted(String servedBy, long startNanos) {
    predicted(servedBy, startNanos, 1);
  }

  /** {@code rows} records answered together, the oldest submitted at {@code startNanos}: one latency sample. */
  void predicted(String servedBy, long startNanos, int rows) {
    predictions.inc(rows);
    version = servedBy;
    latencyMs.update((System.nanoTime() - startNanos) / 1_000_000);
  }

  void failed() {
    errors.inc();
  }
}
