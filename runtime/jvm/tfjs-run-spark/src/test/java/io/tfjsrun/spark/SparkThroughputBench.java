package io.tfjsrun.spark;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tfjsrun.ModelSpec;
import io.tfjsrun.RuntimeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/**
 * Rows/s in a real local[2] SparkSession, 2M rows of wine features (array&lt;float&gt;): the SQL
 * function (a row per call) against TfjsSpark.predict (each partition in batches of 256), both
 * writing to Spark's no-op sink, alternated rep by rep. tools/bench-spark.sh runs it; skipped
 * unless -Dtfjs.bench.bundle is set.
 */
class SparkThroughputBench {
  @Test
  void theSqlFunctionAgainstBatchedPartitions() throws Exception {
    String bundle = System.getProperty("tfjs.bench.bundle");
    assumeTrue(bundle != null, "a benchmark: tools/bench-spark.sh runs it");
    long records = Long.getLong("tfjs.bench.records", 2_000_000L);
    int reps = Integer.getInteger("tfjs.bench.reps", 3);
    List<Row> wine = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(System.getProperty("tfjs.bench.rows")))) {
      if (line.isBlank()) continue;
      String[] f = line.split(",");
      Float[] x = new Float[f.length];
      for (int i = 0; i < f.length; i++) x[i] = Float.parseFloat(f[i]);
      wine.add(RowFactory.create(wine.size(), x));
    }
    SparkSession spark = SparkSession.builder().master("local[2]").appName("tfjs-run-spark-bench")
        .config("spark.ui.enabled", "false").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      Dataset<Row> rows = spark.createDataFrame(wine, DataTypes.createStructType(List.of(
          DataTypes.createStructField("k", DataTypes.IntegerType, false),
          DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, false), false))));
      Dataset<Row> input = spark.range(records).repartition(4)
          .withColumn("k", functions.col("id").mod(wine.size()).cast("int"))
          .join(functions.broadcast(rows), "k").select("id", "features").cache();
      input.count();  // materialized once: the jobs below time prediction, not the input
      ModelSpec model = ModelSpec.bundle(bundle).withOptions(RuntimeOptions.defaults());
      TfjsSpark.register(spark, "tfjs_predict", model);
      StringBuilder table = new StringBuilder("| rep | SQL function rows/s | TfjsSpark.predict rows/s | predict / function |\n|---|---|---|---|\n");
      for (int rep = 1; rep <= reps; rep++) {
        long t0 = System.nanoTime();
        input.select(functions.col("id"), functions.callUDF("tfjs_predict", functions.col("features")).as("p"))
            .write().format("noop").mode("overwrite").save();
        double udf = records / ((System.nanoTime() - t0) / 1e9);
        t0 = System.nanoTime();
        TfjsSpark.predict(input, model, FeatureColumns.array("features"), "p").write().format("noop").mode("overwrite").save();
        double batched = records / ((System.nanoTime() - t0) / 1e9);
        table.append(String.format("| %d | %.0f | %.0f | %.2f |%n", rep, udf, batched, batched / udf));
      }
      System.out.println("rows/s, local[2], " + records + " rows of array<float>[13], 4 partitions\n" + table);
    } finally {
      spark.stop();
    }
  }
}
