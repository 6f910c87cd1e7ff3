package io.tfjsrun.flink;

import io.tfjsrun.RuntimeStats;
import io.tfjsrun.TfjsRuntime;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

/**
 * The runtime's stats as Flink metrics, under the operator's group "tfjs": the version served,
 * rows predicted and queued, overload refusals and reloads (of the shared runtime, so every
 * subtask of a TaskManager reports the same numbers), and this subtask's own predictions.
 */
final class TfjsMetrics {
  private final Counter predictions;

  private TfjsMetrics(Counter predictions) {
    this.predictions = predictions;
  }

  static TfjsMetrics register(RuntimeContext context, TfjsRuntime runtime) {
    MetricGroup group = context.getMetricGroup().addGroup("tfjs");
    Gauge<String> version = () -> runtime.isClosed() ? "" : runtime.info().version();
    group.gauge("version", version);
    Gauge<Long> rows = () -> stat(runtime, s -> s.totalRows());
    group.gauge("runtimeRows", rows);
    Gauge<Long> queued = () -> stat(runtime, s -> s.queueRows);
    group.gauge("queueRows", queued);
    Gauge<Long> overloaded = () -> stat(runtime, s -> s.rejectedOverloaded);
    group.gauge("rejectedOverloaded", overloaded);
    Gauge<Long> reloads = () -> stat(runtime, s -> s.reloadsOk);
    group.gauge("reloads", reloads);
    Gauge<Integer> sharedBy = runtime::sharedBy;
    group.gauge("sharedBy", sharedBy);
    return new TfjsMetrics(group.counter("predictions"));
  }

  private static long stat(TfjsRuntime runtime, java.util.function.ToLongFunction<RuntimeStats> field) {
    return runtime.isClosed() ? 0 : field.applyAsLong(runtime.stats());
  }

  void predicted() {
    predictions.inc();
  }
}
