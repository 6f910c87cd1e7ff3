package io.tfjsrun.flink;

import io.tfjsrun.Prediction;
import io.tfjsrun.TfjsRuntime;
import java.io.Serializable;
import java.util.Objects;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;

/**
 * What every tfjs-run Flink function holds: the model to open and the two mappings (serialized),
 * and, between open and close, the shared runtime and its metrics (transient: a native handle
 * never travels).
 */
final class ModelHandle<IN, OUT> implements Serializable {
  private static final long serialVersionUID = 1L;

  final TfjsModel model;
  final FeatureExtractor<IN> features;
  final ResultBuilder<IN, OUT> results;
  private final TypeInformation<OUT> outType;  // or null: then the job names it with returns()
  private transient TfjsRuntime runtime;
  private transient TfjsMetrics metrics;

  ModelHandle(TfjsModel model, FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results,
              TypeInformation<OUT> outType) {
    this.model = Objects.requireNonNull(model);
    this.features = Objects.requireNonNull(features);
    this.results = Objects.requireNonNull(results);
    this.outType = outType;
  }

  /**
   * The output type, for Flink's ResultTypeQueryable (a lambda's type is erased). Without one it
   * is a generic (Kryo-serialized) type, which {@code .returns(...)} on the operator can replace.
   */
  @SuppressWarnings("unchecked")
  TypeInformation<OUT> producedType() {
    return outType != null ? outType : (TypeInformation<OUT>) new GenericTypeInfo<>(Object.class);
  }

  /** Acquires the TaskManager's shared runtime and registers the metrics. */
  void open(RuntimeContext context) {
    runtime = model.open();
    metrics = TfjsMetrics.register(context, runtime);
  }

  /** Releases the runtime (the last subtask's release drains it). */
  void close() {
    if (runtime != null) runtime.close();
    runtime = null;
  }

  TfjsRuntime runtime() {
    return runtime;
  }

  /** The result record for `record` and its prediction, submitted at {@code startNanos}; counts it. */
  OUT result(IN record, Prediction p, long startNanos) throws Exception {
    return result(record, p.values(), p.version(), startNanos);
  }

  OUT result(IN record, float[] output, String version, long startNanos) throws Exception {
    metrics.predicted(version, startNanos);
    return results.result(record, output, version);
  }

  /** Counts {@code rows} records answered together, the oldest submitted at {@code startNanos}. */
  void predicted(String version, long startNanos, int rows) {
    metrics.predicted(version, startNanos, rows);
  }

  /** The result record for `record` and its output, counted already (by {@link #predicted}). */
  OUT resultCounted(IN record, float[] output, String version) throws Exception {
    return results.result(record, output, version);
  }

  /** Counts a record that got no prediction (an error or Flink's timeout). */
  void failed() {
    metrics.failed();
  }
}
