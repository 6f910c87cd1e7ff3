package io.tfjsrun.flink.sql;

import static io.tfjsrun.flink.sql.SqlTests.causes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

/**
 * How a model's INPUT reaches the bundle (by its declared feature names, else by position), its
 * OUTPUT columns, and a NULL feature, over the probe bundle answering each row's features as the
 * digits of one number (features 1, 2, 3 give 123): the answer shows the order the model saw.
 */
class MlPredictSchemaTest {
  /** The digits bundle, declaring {@code featureNames} (a JS array) or, when null, none. */
  static Path digitsBundle(String featureNames) throws Exception {
    String probe = Files.readString(Fixtures.sourceFile("tests/fixtures/probe.js"), StandardCharsets.UTF_8);
    String digits = probe.replace("s += x[r * cols + c];", "s = s * 10 + x[r * cols + c];");
    assertTrue(!digits.equals(probe), "probe.js sums its row as the test expects");
    if (featureNames != null) digits += "\nglobalThis.tfjsRunBundle.featureNames = " + featureNames + ";\n";
    Path file = Files.createTempFile("tfjs-run-flink-sql-digits", ".js");
    file.toFile().deleteOnExit();
    Files.writeString(file, digits, StandardCharsets.UTF_8);
    return file;
  }

  /** A table t(a, b, c, d) of one row (1, 2, 3, 4), or with {@code nullB} a second row (5, NULL, 6, 7). */
  private static TableEnvironment table(boolean nullB) {
    TableEnvironment env = SqlTests.env(1);
    env.executeSql("CREATE TEMPORARY VIEW t AS SELECT * FROM (VALUES (1, CAST(1.0 AS DOUBLE), CAST(2.0 AS DOUBLE), "
        + "CAST(3.0 AS DOUBLE), CAST(4.0 AS DOUBLE))" + (nullB ? ", (2, 5.0, CAST(NULL AS DOUBLE), 6.0, 7.0)" : "")
        + ") AS t(id, a, b, c, d)");
    return env;
  }

  private static void createModel(TableEnvironment env, String name, String schema, Path bundle, String options) {
    env.executeSql("CREATE MODEL " + name + " " + schema + " WITH ('provider' = 'tfjs', 'bundle' = '" + bundle
        + "', 'threads' = '1'" + options + ")");
  }

  private static float digitsOf(TableEnvironment env, String model, String descriptor) throws Exception {
    List<Row> out = SqlTests.collect(env, "SELECT s FROM ML_PREDICT(TABLE t, MODEL " + model + ", DESCRIPTOR("
        + descriptor + "))");
    assertEquals(1, out.size());
    return (Float) out.get(0).getField(0);
  }

  @Test
  void inputColumnsAreMatchedToTheBundlesFeatureNamesNotTakenInTheirOrder() throws Exception {
    TableEnvironment env = table(false);
    Path named = digitsBundle("['c', 'a', 'b']");
    createModel(env, "abc", "INPUT (a DOUBLE, b DOUBLE, c DOUBLE) OUTPUT (s FLOAT, previous FLOAT)", named, "");
    createModel(env, "bca", "INPUT (b DOUBLE, c DOUBLE, a DOUBLE) OUTPUT (s FLOAT, previous FLOAT)", named, "");
    assertEquals(312f, digitsOf(env, "abc", "a, b, c"), 0f);  // c, a, b, as the bundle declares
    assertEquals(312f, digitsOf(env, "bca", "b, c, a"), 0f);
    // Without declared names, INPUT's order is the model's.
    createModel(env, "positional", "INPUT (b DOUBLE, a DOUBLE, c DOUBLE) OUTPUT (s FLOAT, previous FLOAT)",
        digitsBundle(null), "");
    assertEquals(213f, digitsOf(env, "positional", "b, a, c"), 0f);
  }

  @Test
  void inputThatIsNotTheBundlesFeaturesFailsPlanningNamingTheColumn() throws Exception {
    TableEnvironment env = table(false);
    Path named = digitsBundle("['c', 'a', 'b']");
    createModel(env, "extra", "INPUT (a DOUBLE, b DOUBLE, d DOUBLE) OUTPUT (s FLOAT, previous FLOAT)", named, "");
    Exception e = assertThrows(Exception.class,
        () -> env.executeSql("SELECT * FROM ML_PREDICT(TABLE t, MODEL extra, DESCRIPTOR(a, b, d))"));
    assertTrue(causes(e).contains("a 'tfjs' model's INPUT column 'd' is not a feature of the bundle probe 1.0.0, which"
        + " declares [c, a, b]"), causes(e));
    createModel(env, "missing", "INPUT (a DOUBLE, b DOUBLE) OUTPUT (s FLOAT, previous FLOAT)", named, "");
    e = assertThrows(Exception.class,
        () -> env.executeSql("SELECT * FROM ML_PREDICT(TABLE t, MODEL missing, DESCRIPTOR(a, b))"));
    assertTrue(causes(e).contains("the bundle probe 1.0.0's feature 'c' is not among the 'tfjs' model's INPUT columns"
        + " [a, b]"), causes(e));
    createModel(env, "narrow", "INPUT (a DOUBLE, b DOUBLE) OUTPUT (s FLOAT, previous FLOAT)", digitsBundle(null), "");
    e = assertThrows(Exception.class,
        () -> env.executeSql("SELECT * FROM ML_PREDICT(TABLE t, MODEL narrow, DESCRIPTOR(a, b))"));
    assertTrue(causes(e).contains("a 'tfjs' model's INPUT has 2 columns [a, b]; the bundle probe 1.0.0 takes 3"
        + " features"), causes(e));
  }

  @Test
  void theVersionColumnIsTheBundleVersionThatComputedTheRow() throws Exception {
    TableEnvironment env = table(false);
    createModel(env, "m", "INPUT (a DOUBLE, b DOUBLE, c DOUBLE) OUTPUT (version STRING, s FLOAT, previous FLOAT)",
        digitsBundle(null), "");
    List<Row> out = SqlTests.collect(env, "SELECT id, s, version FROM ML_PREDICT(TABLE t, MODEL m, DESCRIPTOR(a, b, c))");
    assertEquals(List.of(Row.of(1, 123f, "1.0.0")), out);
  }

  @Test
  void aNullFeatureFailsNamingItsColumnOrWithNullOutputGivesANullOutput() throws Exception {
    TableEnvironment env = table(true);
    Path bundle = digitsBundle(null);
    String schema = "INPUT (a DOUBLE, b DOUBLE, c DOUBLE) OUTPUT (s FLOAT, previous FLOAT, version STRING)";
    createModel(env, "failing", schema, bundle, "");
    createModel(env, "answering", schema, bundle, ", 'null-input' = 'null-output'");
    for (String async : new String[] {"true", "false"}) {
      Exception e = assertThrows(Exception.class, () -> SqlTests.collect(env, "SELECT id, s FROM ML_PREDICT(TABLE t, "
          + "MODEL failing, DESCRIPTOR(a, b, c), MAP['async', '" + async + "'])"));
      assertTrue(causes(e).contains("INPUT column 'b' is NULL"), causes(e));
      List<Row> out = new java.util.ArrayList<>(SqlTests.collect(env, "SELECT id, s, version FROM ML_PREDICT(TABLE t, "
          + "MODEL answering, DESCRIPTOR(a, b, c), MAP['async', '" + async + "'])"));
      out.sort(java.util.Comparator.comparing(r -> (Integer) r.getField(0)));
      assertEquals(2, out.size(), async);
      assertEquals(Row.of(1, 123f, "1.0.0"), out.get(0), async);
      assertEquals(2, out.get(1).getField(0));
      assertNull(out.get(1).getField(1), async);
      assertNull(out.get(1).getField(2), async);
    }
    createModel(env, "wrong", schema, bundle, ", 'null-input' = 'zero'");
    Exception e = assertThrows(Exception.class,
        () -> env.executeSql("SELECT * FROM ML_PREDICT(TABLE t, MODEL wrong, DESCRIPTOR(a, b, c))"));
    assertTrue(causes(e).contains("'null-input' is fail or null-output, not 'zero'"), causes(e));
  }
}
