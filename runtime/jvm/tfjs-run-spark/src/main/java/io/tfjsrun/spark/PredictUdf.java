package io.tfjsrun.spark;

import io.tfjsrun.ModelSpec;
import io.tfjsrun.TfjsRuntime;
import org.apache.spark.sql.api.java.UDF1;

/**
 * The SQL function: an array of numbers in (one feature row), the model's output row out, as
 * array&lt;float&gt;; null in, null out. Each call is one row; calls from an executor's tasks
 * share the executor's runtime, which batches what arrives together. Spark's Java UDFs see one
 * row at a time: for whole partitions in batches use {@link TfjsSpark#predict}.
 */
final class PredictUdf implements UDF1<scala.collection.Seq<?>, float[]> {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final ModelSpec model;
  private transient TfjsRuntime runtime;  // the executor's, looked up on this instance's first call

  PredictUdf(String name, ModelSpec model) {
    this.name = name;
    this.model = model;
  }

  @Override
  public float[] call(scala.collection.Seq<?> features) {
    if (features == null) return null;
    if (runtime == null) runtime = ExecutorRuntimes.get(model);
    return runtime.predict(FeatureColumns.readArray(features, "SQL function " + name), 1);
  }
}
