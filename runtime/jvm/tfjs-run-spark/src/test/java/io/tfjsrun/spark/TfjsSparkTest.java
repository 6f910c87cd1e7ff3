package io.tfjsrun.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import io.tfjsrun.ModelSpec;
import io.tfjsrun.RuntimeOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * tfjs-run in a real SparkSession (local[2], up to 4 attempts per task): the wine rows as a
 * Dataset, predicted partition by partition and through SQL, each answer equal to tfjs in Node's
 * within 1e-5 (tests/build-fixtures.sh's reference), in one runtime for the JVM.
 */
class TfjsSparkTest {
  static final String BUNDLE = "wine-layers-wasm";
  static final int COPIES = 10;  // 1780 rows
  static final ModelSpec MODEL = ModelSpec.bundle(Fixtures.bundle(BUNDLE).toString())
      .withOptions(RuntimeOptions.defaults().withThreads(2));
  static SparkSession spark;
  static float[][] node;
  static float[][] wine;

  @BeforeAll
  static void start() throws Exception {
    spark = SparkSession.builder().master("local[2,4]").appName("tfjs-run-spark-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    node = Fixtures.readCsv(Fixtures.dir().resolve("ref-" + BUNDLE + ".csv"));
    wine = Fixtures.wineRows();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** id, features array<float>, and the 13 features again as double columns f0..f12. */
  static Dataset<Row> wineDataset(int partitions) {
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField("id", DataTypes.IntegerType, false));
    fields.add(DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, false), false));
    for (int c = 0; c < 13; c++) fields.add(DataTypes.createStructField("f" + c, DataTypes.DoubleType, false));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < wine.length * COPIES; i++) {
      float[] x = wine[i % wine.length];
      Object[] values = new Object[15];
      values[0] = i;
      Float[] boxed = new Float[13];
      for (int c = 0; c < 13; c++) {
        boxed[c] = x[c];
        values[2 + c] = (double) x[c];
      }
      values[1] = boxed;
      rows.add(RowFactory.create(values));
    }
    return spark.createDataFrame(rows, DataTypes.createStructType(fields)).repartition(partitions);
  }

  static void expectNodesAnswers(List<Row> out, String column) {
    assertEquals(wine.length * COPIES, out.size());
    boolean[] seen = new boolean[out.size()];
    for (Row r : out) {
      int id = r.getInt(r.fieldIndex("id"));
      assertTrue(!seen[id], "row " + id + " twice");
      seen[id] = true;
      List<Float> got = r.getList(r.fieldIndex(column));
      float[] values = new float[got.size()];
      for (int i = 0; i < values.length; i++) values[i] = got.get(i);
      assertArrayEquals(node[id % node.length], values, 1e-5f, "row " + id);
    }
  }

  @Test
  void anArrayColumnIsPredictedInBatchesPerPartition() {
    Dataset<Row> out = TfjsSpark.predict(wineDataset(4), MODEL, FeatureColumns.array("features"), "prediction", 64, 2);
    assertEquals("array<float>", out.schema().apply("prediction").dataType().simpleString());
    expectNodesAnswers(out.collectAsList(), "prediction");
    assertEquals(1, ExecutorRuntimes.opens(MODEL), "one runtime for the executor JVM");
  }

  @Test
  void namedNumericColumnsAreTheFeaturesInTheirOrder() {
    String[] cols = new String[13];
    for (int c = 0; c < 13; c++) cols[c] = "f" + c;
    Dataset<Row> out = TfjsSpark.predict(wineDataset(3), MODEL, FeatureColumns.named(cols), "p");
    expectNodesAnswers(out.collectAsList(), "p");
  }

  @Test
  void theSqlFunctionAnswersEachRow() {
    TfjsSpark.register(spark, "tfjs_predict", MODEL);
    wineDataset(4).createOrReplaceTempView("wine");
    Dataset<Row> out = spark.sql("SELECT id, tfjs_predict(features) AS p FROM wine");
    assertEquals("array<float>", out.schema().apply("p").dataType().simpleString());
    expectNodesAnswers(out.collectAsList(), "p");
    // null in, null out
    Row nullRow = spark.sql("SELECT tfjs_predict(CAST(NULL AS array<float>)) AS p").first();
    assertTrue(nullRow.isNullAt(0));
  }

  static final AtomicInteger FAILED_ATTEMPTS = new AtomicInteger();

  /** Fails the first attempt of partition 1, after reading half of it. */
  static final class FailFirstAttempt implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    @Override
    public java.util.Iterator<Row> call(java.util.Iterator<Row> rows) {
      TaskContext task = TaskContext.get();
      List<Row> all = new ArrayList<>();
      rows.forEachRemaining(all::add);
      if (task.partitionId() == 1 && task.attemptNumber() == 0) {
        FAILED_ATTEMPTS.incrementAndGet();
        throw new IllegalStateException("the test's failure of partition 1, attempt 0");
      }
      return all.iterator();
    }
  }

  @Test
  void aTaskThatSparkRetriesGetsRightAnswers() {
    Dataset<Row> input = wineDataset(4);
    Dataset<Row> flaky = input.mapPartitions(new FailFirstAttempt(), Encoders.row(input.schema()));
    Dataset<Row> out = TfjsSpark.predict(flaky, MODEL, FeatureColumns.array("features"), "prediction", 32, 4);
    expectNodesAnswers(out.collectAsList(), "prediction");
    assertEquals(1, FAILED_ATTEMPTS.get());
    assertEquals(1, ExecutorRuntimes.opens(MODEL));
  }

  @Test
  void aBadFeatureFailsTheTaskNamingThePartitionRowAndColumn() {
    StructType schema = DataTypes.createStructType(List.of(
        DataTypes.createStructField("a", DataTypes.DoubleType, true),
        DataTypes.createStructField("b", DataTypes.DoubleType, true),
        DataTypes.createStructField("c", DataTypes.DoubleType, true)));
    Dataset<Row> bad = spark.createDataFrame(List.of(RowFactory.create(1.0, 2.0, 3.0), RowFactory.create(1.0, Double.NaN, 3.0)),
        schema).coalesce(1);
    ModelSpec probe = ModelSpec.bundle(Fixtures.sourceFile("tests/fixtures/probe.js").toString())
        .withOptions(RuntimeOptions.defaults().withThreads(1));
    Exception e = assertThrows(Exception.class, () -> TfjsSpark.predict(bad, probe, FeatureColumns.named("a", "b", "c"), "p").collectAsList());
    assertTrue(e.getMessage().contains("tfjs-run: partition 0, row 2, feature column 'b' is NaN"), e.getMessage());
    IllegalArgumentException schemaError = assertThrows(IllegalArgumentException.class,
        () -> TfjsSpark.predict(bad, probe, FeatureColumns.named("a", "z"), "p"));
    assertTrue(schemaError.getMessage().startsWith("tfjs-run: no feature column 'z' in struct<a:double,b:double,c:double>"),
        schemaError.getMessage());
  }

  /** The probe bundle, answering each row's features as the digits of one number (1,2,3 gives 123). */
  static ModelSpec digitsBundle(String featureNames) throws Exception {
    String probe = Files.readString(Fixtures.sourceFile("tests/fixtures/probe.js"), StandardCharsets.UTF_8);
    String digits = probe.replace("s += x[r * cols + c];", "s = s * 10 + x[r * cols + c];");
    assertTrue(!digits.equals(probe), "probe.js sums its row as the test expects");
    if (featureNames != null) digits += "\nglobalThis.tfjsRunBundle.featureNames = " + featureNames + ";\n";
    Path file = Files.createTempFile("tfjs-run-spark-digits", ".js");
    file.toFile().deleteOnExit();
    Files.writeString(file, digits, StandardCharsets.UTF_8);
    return ModelSpec.bundle(file.toString()).withOptions(RuntimeOptions.defaults().withThreads(1));
  }

  @Test
  void namedColumnsAreMatchedToTheBundlesFeatureNamesNotTakenInTheirListedOrder() throws Exception {
    StructType schema = DataTypes.createStructType(List.of(
        DataTypes.createStructField("a", DataTypes.DoubleType, false),
        DataTypes.createStructField("b", DataTypes.DoubleType, false),
        DataTypes.createStructField("c", DataTypes.DoubleType, false),
        DataTypes.createStructField("d", DataTypes.DoubleType, false)));
    Dataset<Row> rows = spark.createDataFrame(List.of(RowFactory.create(1.0, 2.0, 3.0, 4.0)), schema).coalesce(1);
    ModelSpec named = digitsBundle("['c', 'a', 'b']");
    for (String[] listed : new String[][] {{"a", "b", "c"}, {"c", "a", "b"}, {"b", "c", "a"}}) {
      Row out = TfjsSpark.predict(rows, named, FeatureColumns.named(listed), "p").first();
      assertEquals(312f, out.<Float>getList(4).get(0), 0f, String.join(",", listed));  // c, a, b whatever the listing
    }
    // Without declared names, the listed order is the model's.
    Row positional = TfjsSpark.predict(rows, digitsBundle(null), FeatureColumns.named("b", "a", "c"), "p").first();
    assertEquals(213f, positional.<Float>getList(4).get(0), 0f);

    Exception missing = assertThrows(Exception.class,
        () -> TfjsSpark.predict(rows, named, FeatureColumns.named("a", "b"), "p").collectAsList());
    assertTrue(missing.getMessage().contains(
        "tfjs-run: the bundle's feature 'c' is not among the feature columns [a, b]"), missing.getMessage());
    Exception extra = assertThrows(Exception.class,
        () -> TfjsSpark.predict(rows, named, FeatureColumns.named("a", "b", "d"), "p").collectAsList());
    assertTrue(extra.getMessage().contains(
        "tfjs-run: feature column 'd' is not a feature of the bundle, which declares [c, a, b]"), extra.getMessage());
  }
}
