package io.tfjsrun.examples.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tfjsrun.Fixtures;
import io.tfjsrun.ModelSpec;
import io.tfjsrun.RuntimeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * The example end to end in a real SparkSession (local[2]): wine.data read as CSV in several
 * partitions, predicted, written as CSV, read back: every row's label is kept and its three
 * outputs equal tfjs in Node's (tests/build-fixtures.sh) within 1e-5, in input order.
 */
class WinePredictionsTest {
  @Test
  void everyWineRowGetsTfjsInNodesAnswer() throws Exception {
    Path data = Fixtures.sourceFile("examples/wine/data/wine.data");
    List<String> lines = Files.readAllLines(data);
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-wine-layers-wasm.csv"));
    Path out = Files.createTempDirectory("spark-wine").resolve("out");
    SparkSession spark = SparkSession.builder().master("local[2]").appName("spark-wine-test")
        .config("spark.ui.enabled", "false").config("spark.sql.files.maxPartitionBytes", "4096").getOrCreate();
    try {
      ModelSpec model = ModelSpec.bundle(Fixtures.bundle("wine-layers-wasm").toString())
          .withOptions(RuntimeOptions.defaults().withThreads(2));
      WinePredictions.predict(WinePredictions.readWine(spark, data.toString()), model).write().csv(out.toString());
      List<Row> rows = spark.read().schema("label INT, p1 FLOAT, p2 FLOAT, p3 FLOAT").csv(out.toString()).collectAsList();
      assertEquals(178, rows.size());
      // Spark writes one file per partition, named in partition order; they read back in input order.
      for (int i = 0; i < rows.size(); i++) {
        Row r = rows.get(i);
        assertEquals(Integer.parseInt(lines.get(i).split(",")[0]), r.getInt(0), "label of row " + i);
        for (int c = 0; c < 3; c++) assertEquals(node[i][c], r.getFloat(c + 1), 1e-5f, "row " + i);
      }
    } finally {
      spark.stop();
    }
  }
}
