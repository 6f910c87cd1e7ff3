package io.tfjsrun.spark;

import static org.apache.spark.sql.functions.call_function;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.ModelSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A set of named models in a real SparkSession (local[2]): the SQL functions tfjs_predict and tfjs_predict_array
 * and the DataFrame API on the wine rows, each answer equal to tfjs in Node's within 1e-5; models picked by a
 * literal or a column; and the errors, each naming what is wrong.
 */
class TfjsSparkModelsTest {
  static SparkSession spark;
  static SparkModels models;
  static Column[] wineColumns = new Column[13];
  static String[] wineNames = new String[13];

  @BeforeAll
  static void start() throws Exception {
    TfjsSparkTest.start();
    spark = TfjsSparkTest.spark;
    Map<String, ModelSpec> set = new LinkedHashMap<>();
    set.put("wine", TfjsSparkTest.MODEL);
    set.put("digits", TfjsSparkTest.digitsBundle("['c', 'a', 'b']"));  // declares its features: c, a, b
    set.put("plain", TfjsSparkTest.digitsBundle(null));                 // declares none: positional
    models = SparkModels.of(set);
    TfjsSpark.register(spark, models);
    TfjsSparkTest.wineDataset(4).createOrReplaceTempView("wine");
    for (int c = 0; c < 13; c++) {
      wineNames[c] = "f" + c;
      wineColumns[c] = col(wineNames[c]);
    }
    abc(RowFactory.create("digits", 1.0, 2.0, 3.0), RowFactory.create("plain", 1.0, 2.0, 3.0),
        RowFactory.create("plain", 4.0, null, 6.0)).createOrReplaceTempView("abc");
  }

  @AfterAll
  static void stop() {
    TfjsSparkTest.stop();
  }

  static Dataset<Row> abc(Row... rows) {
    StructType schema = DataTypes.createStructType(List.of(
        DataTypes.createStructField("model", DataTypes.StringType, false),
        DataTypes.createStructField("a", DataTypes.DoubleType, true),
        DataTypes.createStructField("b", DataTypes.DoubleType, true),
        DataTypes.createStructField("c", DataTypes.DoubleType, true)));
    return spark.createDataFrame(Arrays.asList(rows), schema).coalesce(1);
  }

  /** Every message down the cause chain: Spark wraps a task's exception in its own. */
  static String messages(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) all.append(t.getMessage()).append('\n');
    return all.toString();
  }

  static void expectFailure(Runnable query, String expected) {
    Throwable e = assertThrows(Exception.class, query::run);
    assertTrue(messages(e).contains(expected), messages(e));
  }

  @Test
  void sqlFunctionsAnswerTheWineRowsLikeNode() {
    String features = String.join(", ", wineNames);
    Dataset<Row> columns = spark.sql("SELECT id, tfjs_predict('wine', struct(" + features + ")) AS p FROM wine");
    assertEquals("array<float>", columns.schema().apply("p").dataType().simpleString());
    TfjsSparkTest.expectNodesAnswers(columns.collectAsList(), "p");
    Dataset<Row> varargs = spark.sql("SELECT id, tfjs_predict('wine', " + features + ") AS p FROM wine");
    TfjsSparkTest.expectNodesAnswers(varargs.collectAsList(), "p");
    TfjsSparkTest.expectNodesAnswers(spark.sql("SELECT id, tfjs_predict_array('wine', features) AS p FROM wine")
        .collectAsList(), "p");
  }

  @Test
  void theDataFrameApiAnswersTheWineRowsLikeNode() {
    Dataset<Row> wine = TfjsSparkTest.wineDataset(3);
    TfjsSparkTest.expectNodesAnswers(
        TfjsSpark.predict(wine, models, "wine", FeatureColumns.named(wineNames), "p", 64, 2).collectAsList(), "p");
    TfjsSparkTest.expectNodesAnswers(
        TfjsSpark.predict(wine, models, "wine", FeatureColumns.array("features"), "p").collectAsList(), "p");
    Dataset<Row> called = wine.select(col("id"),
        call_function(TfjsSpark.PREDICT_FUNCTION, lit("wine"), struct(wineColumns)).as("p"));
    TfjsSparkTest.expectNodesAnswers(called.collectAsList(), "p");
    Column[] args = new Column[14];
    args[0] = lit("wine");
    System.arraycopy(wineColumns, 0, args, 1, 13);
    TfjsSparkTest.expectNodesAnswers(wine.select(col("id"), call_function(TfjsSpark.PREDICT_FUNCTION, args).as("p"))
        .collectAsList(), "p");
  }

  static float first(Row row, int column) {
    return row.<Float>getList(column).get(0);
  }

  @Test
  void modelsInOneSetAnswerByNameFromALiteralOrAColumn() {
    // digits declares c, a, b: the struct's columns are matched by name; plain takes them in order.
    List<Row> byColumn = spark.sql("SELECT model, tfjs_predict(model, struct(b, a, c)) FROM abc WHERE b IS NOT NULL")
        .collectAsList();
    assertEquals(2, byColumn.size());
    for (Row r : byColumn) assertEquals(r.getString(0).equals("digits") ? 312f : 213f, first(r, 1), 0f, r.getString(0));
    List<Row> byColumnVarargs = spark.sql("SELECT model, tfjs_predict(model, b, a, c) FROM abc WHERE b IS NOT NULL")
        .collectAsList();
    assertEquals(2, byColumnVarargs.size());
    for (Row r : byColumnVarargs) {
      assertEquals(r.getString(0).equals("digits") ? 312f : 213f, first(r, 1), 0f, r.getString(0));
    }
    Row literal = spark.sql("SELECT tfjs_predict('digits', struct(a, b, c)), tfjs_predict('plain', struct(a, b, c)),"
        + " tfjs_predict_array('digits', array(1, 2, 3)), tfjs_predict_array('plain', array(3, 2, 1))"
        + " FROM abc WHERE model = 'digits'").first();
    assertEquals(312f, first(literal, 0), 0f);
    assertEquals(123f, first(literal, 1), 0f);
    assertEquals(123f, first(literal, 2), 0f);  // an array is the model's order as it is
    assertEquals(321f, first(literal, 3), 0f);

    // One model's rows and another's in one query, by a column.
    float[] wine0 = TfjsSparkTest.wine[0];
    StringBuilder wineArray = new StringBuilder();
    for (float x : wine0) {
      wineArray.append(wineArray.length() == 0 ? "" : ", ").append("CAST(").append(x).append(" AS FLOAT)");
    }
    List<Row> mixed = spark.sql("SELECT m, tfjs_predict_array(m, f) FROM VALUES ('wine', array(" + wineArray
        + ")), ('plain', array(CAST(4 AS FLOAT), 5, 6)) AS t(m, f) ORDER BY m").collectAsList();
    assertEquals(456f, first(mixed.get(0), 1), 0f);
    List<Float> got = mixed.get(1).getList(1);
    float[] values = new float[got.size()];
    for (int i = 0; i < values.length; i++) values[i] = got.get(i);
    assertArrayEquals(TfjsSparkTest.node[0], values, 1e-5f);
  }

  @Test
  void anUnknownModelIsAnErrorNamingIt() {
    expectFailure(() -> spark.sql("SELECT tfjs_predict('nope', struct(a, b, c)) FROM abc").collectAsList(),
        "tfjs-run: no model 'nope' in the set, which has [wine, digits, plain]");
    expectFailure(() -> spark.sql("SELECT tfjs_predict_array('nope', array(1, 2, 3))").collectAsList(),
        "tfjs-run: no model 'nope' in the set, which has [wine, digits, plain]");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TfjsSpark.predict(abc(), models, "nope", FeatureColumns.named("a", "b", "c"), "p"));
    assertEquals("tfjs-run: no model 'nope' in the set, which has [wine, digits, plain]", e.getMessage());
  }

  @Test
  void aNullFeatureIsAnErrorNamingTheColumnOrWithTheOptionANullOutput() {
    expectFailure(() -> spark.sql("SELECT tfjs_predict(model, struct(a, b, c)) FROM abc").collectAsList(),
        "tfjs-run: SQL function tfjs_predict, model 'plain', feature column 'b' is null");
    expectFailure(() -> spark.sql("SELECT tfjs_predict_array('plain', array(1, NULL, 3))").collectAsList(),
        "tfjs-run: SQL function tfjs_predict_array, model 'plain', feature column 'features[1]' is null");
    expectFailure(() -> TfjsSpark.predict(abc(RowFactory.create("plain", 4.0, null, 6.0)), models, "plain",
        FeatureColumns.named("a", "b", "c"), "p").collectAsList(),
        "tfjs-run: partition 0, row 1, feature column 'b' is null");

    SparkModels lenient = models.withNullOutputForNullFeatures();
    Dataset<Row> withNull = abc(RowFactory.create("plain", 1.0, 2.0, 3.0), RowFactory.create("plain", 4.0, null, 6.0),
        RowFactory.create("plain", 7.0, 8.0, 9.0));
    List<Row> out = TfjsSpark.predict(withNull, lenient, "plain", FeatureColumns.named("a", "b", "c"), "p", 2, 1)
        .collectAsList();
    assertEquals(3, out.size());
    assertEquals(123f, first(out.get(0), 4), 0f);
    assertTrue(out.get(1).isNullAt(4));
    assertEquals(789f, first(out.get(2), 4), 0f);

    SparkSession other = spark.newSession();  // its own functions: the lenient set's
    TfjsSpark.register(other, lenient);
    List<Row> sql = other.sql("SELECT tfjs_predict(model, struct(a, b, c)), tfjs_predict_array(model, array(a, b, c))"
        + " FROM VALUES ('plain', 1.0D, 2.0D, 3.0D), ('plain', 4.0D, NULL, 6.0D) AS t(model, a, b, c) ORDER BY a")
        .collectAsList();
    assertEquals(123f, first(sql.get(0), 0), 0f);
    assertEquals(123f, first(sql.get(0), 1), 0f);
    assertTrue(sql.get(1).isNullAt(0));
    assertTrue(sql.get(1).isNullAt(1));
  }

  @Test
  void aWrongColumnCountIsAnErrorNamingTheModelAndTheCounts() {
    String twelve = String.join(", ", Arrays.copyOf(wineNames, 12));
    expectFailure(() -> spark.sql("SELECT tfjs_predict('wine', struct(" + twelve + ")) FROM wine").collectAsList(),
        "tfjs-run: SQL function tfjs_predict, model 'wine' takes 13 features, given 12");
    expectFailure(() -> spark.sql("SELECT tfjs_predict('plain', a, b) FROM abc").collectAsList(),
        "tfjs-run: SQL function tfjs_predict, model 'plain' takes 3 features, given 2");
    expectFailure(() -> spark.sql("SELECT tfjs_predict_array('plain', array(1, 2))").collectAsList(),
        "tfjs-run: SQL function tfjs_predict_array, model 'plain' takes 3 features, given 2");
    expectFailure(() -> TfjsSpark.predict(TfjsSparkTest.wineDataset(1), models, "wine",
        FeatureColumns.named(Arrays.copyOf(wineNames, 12)), "p").collectAsList(),
        "tfjs-run: partition 0, row 1, model 'wine' takes 13 features, given 12");
  }
}
