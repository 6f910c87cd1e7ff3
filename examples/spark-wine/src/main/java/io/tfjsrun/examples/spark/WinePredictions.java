package io.tfjsrun.examples.spark;

import io.tfjsrun.ModelSpec;
import io.tfjsrun.spark.FeatureColumns;
import io.tfjsrun.spark.TfjsSpark;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * wine.data in (the cultivar, then 13 measurements, per line), "label,p1,p2,p3" per row out,
 * predicted partition by partition through tfjs-run-spark.
 *
 * <pre>
 *   spark-submit --class io.tfjsrun.examples.spark.WinePredictions \
 *     --jars tfjs-run-0.1.0.jar,tfjs-run-spark-0.1.0.jar spark-wine-0.1.0.jar /models/wine.bundle.js wine.data out/
 * </pre>
 */
public final class WinePredictions {
  private WinePredictions() {}

  /** wine.data as columns label, m1..m13 (doubles). */
  public static Dataset<Row> readWine(SparkSession spark, String path) {
    StringBuilder schema = new StringBuilder("label INT");
    for (int c = 1; c <= 13; c++) schema.append(", m").append(c).append(" DOUBLE");
    return spark.read().schema(schema.toString()).option("mode", "FAILFAST").csv(path);
  }

  /** The label, and the model's three outputs as p1, p2, p3. */
  public static Dataset<Row> predict(Dataset<Row> wine, ModelSpec model) {
    List<String> features = new ArrayList<>();
    for (int c = 1; c <= 13; c++) features.add("m" + c);
    Dataset<Row> predicted = TfjsSpark.predict(wine, model, FeatureColumns.named(features), "prediction");
    Column p = functions.col("prediction");
    return predicted.select(functions.col("label"), p.getItem(0).as("p1"), p.getItem(1).as("p2"), p.getItem(2).as("p3"));
  }

  public static void main(String[] args) {
    if (args.length < 3) {
      System.err.println("usage: WinePredictions BUNDLE wine.data OUT_DIR");
      System.exit(2);
    }
    SparkSession spark = SparkSession.builder().appName("tfjs-run wine").getOrCreate();
    predict(readWine(spark, args[1]), ModelSpec.bundle(args[0])).write().csv(args[2]);
    spark.stop();
  }
}
