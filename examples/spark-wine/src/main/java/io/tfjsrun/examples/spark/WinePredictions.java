package io.tfjsrun.examples.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;

/**
 * wine.data in, "label,p1,p2,p3" per row out, predicted partition by partition.
 *
 * <pre>
 *   spark-submit --class io.tfjsrun.examples.spark.WinePredictions \
 *     --jars tfjs-run-0.1.0.jar spark-wine-0.1.0.jar /models/wine.bundle.js wine.data out/
 * </pre>
 */
public final class WinePredictions {
  private WinePredictions() {}

  public static void main(String[] args) {
    if (args.length < 3) {
      System.err.println("usage: WinePredictions BUNDLE wine.data OUT_DIR");
      System.exit(2);
    }
    SparkSession spark = SparkSession.builder().appName("tfjs-run wine").getOrCreate();
    Dataset<String> lines = spark.read().textFile(args[1]);
    PredictPartitions predict = new PredictPartitions(args[0], 0);
    lines.mapPartitions(predict, Encoders.STRING()).write().text(args[2]);
    spark.stop();
  }
}
