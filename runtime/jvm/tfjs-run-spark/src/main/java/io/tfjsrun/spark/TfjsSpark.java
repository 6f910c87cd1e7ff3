package io.tfjsrun.spark;

import io.tfjsrun.ModelSpec;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
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
 * // Several models by name: SELECT tfjs_predict('wine', alcohol, ...), tfjs_predict_array(model, features)
 * SparkModels models = SparkModels.of(Map.of("wine", wine, "other", other));
 * TfjsSpark.register(spark, models);
 * Dataset<Row> byName = TfjsSpark.predict(rows, models, "wine", FeatureColumns.named("alcohol", ...), "prediction");
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
  /** The SQL functions {@link #register(SparkSession, SparkModels)} registers. */
  public static final String PREDICT_FUNCTION = "tfjs_predict";
  public static final String PREDICT_ARRAY_FUNCTION = "tfjs_predict_array";

  private static final DataType OUTPUT = DataTypes.createArrayType(DataTypes.FloatType, false);

  private TfjsSpark() {}

  public static Dataset<Row> predict(Dataset<Row> input, ModelSpec model, FeatureColumns features, String outputColumn) {
    return predict(input, model, features, outputColumn, DEFAULT_BATCH_ROWS, DEFAULT_IN_FLIGHT);
  }

  /** {@code input}'s rows, each with the model's output appended as {@code outputColumn} (array&lt;float&gt;). */
  public static Dataset<Row> predict(Dataset<Row> input, ModelSpec model, FeatureColumns features, String outputColumn,
                                     int batchRows, int inFlight) {
    return predict(input, null, model, false, features, outputColumn, batchRows, inFlight);
  }

  public static Dataset<Row> predict(Dataset<Row> input, SparkModels models, String model, FeatureColumns features,
                                     String outputColumn) {
    return predict(input, models, model, features, outputColumn, DEFAULT_BATCH_ROWS, DEFAULT_IN_FLIGHT);
  }

  /**
   * {@code input}'s rows, each with the output of the set's model {@code model} appended as {@code outputColumn}
   * (array&lt;float&gt;; null for a row with a null feature when the set says so). IllegalArgumentException naming
   * the model when the set has none of that name.
   */
  public static Dataset<Row> predict(Dataset<Row> input, SparkModels models, String model, FeatureColumns features,
                                     String outputColumn, int batchRows, int inFlight) {
    return predict(input, model, models.spec(model), models.nullOutputForNullFeatures(), features, outputColumn,
        batchRows, inFlight);
  }

  private static Dataset<Row> predict(Dataset<Row> input, String modelName, ModelSpec model, boolean nullOutput,
                                      FeatureColumns features, String outputColumn, int batchRows, int inFlight) {
    StructType schema = input.schema();
    if (java.util.Arrays.asList(schema.fieldNames()).contains(outputColumn)) {
      throw new IllegalArgumentException("tfjs-run: the input already has a column '" + outputColumn + "'");
    }
    StructType out = schema.add(outputColumn, OUTPUT, nullOutput);
    PartitionPredictor predictor = new PartitionPredictor(modelName, model, features.bind(schema), batchRows, inFlight,
        nullOutput);
    return input.mapPartitions(predictor, Encoders.row(out));
  }

  /** Registers {@code name}(array of numbers) -&gt; array&lt;float&gt; for SQL and the DataFrame API. */
  public static void register(SparkSession spark, String name, ModelSpec model) {
    spark.udf().register(name, new PredictUdf(name, model), OUTPUT);
  }

  /**
   * Registers, for SQL and the DataFrame API ({@code call_function}), the set's models by name:
   * {@code tfjs_predict(model, col, ...)} or {@code tfjs_predict(model, struct(col, ...))}, the columns matched to
   * the bundle's declared feature names (else taken in order), and
   * {@code tfjs_predict_array(model, array of numbers)}; each answers
   * array&lt;float&gt;, null for a null struct or array. The model name is a literal or a column; a name the set
   * lacks, a null feature (unless the set answers null for it) and a column count the model does not take fail the
   * query, naming them. The session must be a classic one (not Spark Connect's).
   */
  public static void register(SparkSession spark, SparkModels models) {
    spark.udf().register(PREDICT_FUNCTION, new ModelSetFunctions.Columns(PREDICT_FUNCTION, models), OUTPUT);
    StructArguments.allow(spark, PREDICT_FUNCTION);
    spark.udf().register(PREDICT_ARRAY_FUNCTION, new ModelSetFunctions.Array(PREDICT_ARRAY_FUNCTION, models), OUTPUT);
  }
}
