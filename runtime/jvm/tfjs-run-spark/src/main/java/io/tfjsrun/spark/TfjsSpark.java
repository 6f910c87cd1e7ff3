package io.tfjsrun.spark;

import io.tfjsrun.ModelSpec;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * tfjs-run on Spark.
 *
 * <pre>{@code
 * ModelSpec wine = ModelSpec.bundle("/models/wine.bundle.js");
 * // Batched, partition by partition: every column of `rows`, plus "prediction" array<float>.
 * Dataset<Row> out = TfjsSpark.predict(rows, wine, FeatureColumns.array("features"), "prediction");
 * // SQL: SELECT tfjs_predict(features) FROM t
 * TfjsSpark.register(spark, "tfjs_predict", wine);
 * }</pre>
 *
 * <p>Each executor JVM opens the model once (a worker per core) and every task shares it. A task
 * that fails (a bad row, a model that throws) fails with an error naming the partition and row;
 * Spark's retry of it runs on the same shared runtime.
 */
public final class TfjsSpark {
  /** Rows per predict call, and batches read ahead per partition, of {@link #predict}. */
  public static final int DEFAULT_BATCH_ROWS = 256;
  public static final int DEFAULT_IN_FLIGHT = 4;

  private TfjsSpark() {}

  public static Dataset<Row> predict(Dataset<Row> input, ModelSpec model, FeatureColumns features, String outputColumn) {
    return predict(input, model, features, outputColumn, DEFAULT_BATCH_ROWS, DEFAULT_IN_FLIGHT);
  }

  /** {@code input}'s rows, each with the model's output appended as {@code outputColumn} (array&lt;float&gt;). */
  public static Dataset<Row> predict(Dataset<Row> input, ModelSpec model, FeatureColumns features, String outputColumn,
                                     int batchRows, int inFlight) {
    StructType schema = input.schema();
    if (java.util.Arrays.asList(schema.fieldNames()).contains(outputColumn)) {
      throw new IllegalArgumentException("tfjs-run: the input already has a column '" + outputColumn + "'");
    }
    StructType out = schema.add(outputColumn, DataTypes.createArrayType(DataTypes.FloatType, false), false);
    return input.mapPartitions(new PartitionPredictor(model, features.bind(schema), batchRows, inFlight), Encoders.row(out));
  }

  /** Registers {@code name}(array of numbers) -&gt; array&lt;float&gt; for SQL and the DataFrame API. */
  public static void register(SparkSession spark, String name, ModelSpec model) {
    spark.udf().register(name, new PredictUdf(name, model), DataTypes.createArrayType(DataTypes.FloatType, false));
  }
}
