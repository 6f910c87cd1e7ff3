package io.tfjsrun.flink.sql;

import static io.tfjsrun.flink.sql.SqlTests.causes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.StringJoiner;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * OUTPUT columns named after the outputs the bundle declares (its heads) take those outputs; other
 * names take the output row whole (one ARRAY&lt;FLOAT&gt;) or by position (FLOAT columns).
 */
class MlPredictOutputTest {
  private static void createMultiOut(TableEnvironment env, String name, String columns, String output) {
    env.executeSql("CREATE MODEL " + name + " INPUT (" + columns.replace(",", " FLOAT,") + " FLOAT) OUTPUT (" + output
        + ") WITH ('provider' = 'tfjs', 'bundle' = '" + Fixtures.bundle("multi-out") + "', 'threads' = '1')");
  }

  private static float[] floats(Object array) {
    Float[] boxed = (Float[]) array;
    float[] out = new float[boxed.length];
    for (int i = 0; i < out.length; i++) out[i] = boxed[i];
    return out;
  }

  /** multi-out's heads are head_0, head_1, head_2, of 5, 2 and 7 values: columns [0, 5), [5, 7), [7, 14). */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void severalHeadsAreSeveralColumnsEachItsHeadsValuesLikeNode(boolean async) throws Exception {
    float[][] rows = Fixtures.readCsv(Fixtures.dir().resolve("shaped/multi-out.csv"));
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-multi-out.csv"));
    TableEnvironment env = SqlTests.env(1);
    String columns = SqlTests.rowsView(env, "samples", rows);
    // Two of the three heads, in another order than the model's.
    createMultiOut(env, "heads", columns, "head_2 ARRAY<FLOAT>, version STRING, head_0 ARRAY<FLOAT>");
    List<Row> out = SqlTests.collect(env, "SELECT id, head_0, head_2, version FROM ML_PREDICT(TABLE samples,"
        + " MODEL heads, DESCRIPTOR(" + columns + "), MAP['async', '" + async + "'])");
    assertEquals(rows.length, out.size());
    for (Row row : out) {
      int id = (Integer) row.getField(0);
      float[] head0 = floats(row.getField(1)), head2 = floats(row.getField(2));
      assertEquals(5, head0.length);
      assertEquals(7, head2.length);
      for (int k = 0; k < 5; k++) assertEquals(node[id][k], head0[k], 1e-5, "row " + id + " head_0[" + k + "]");
      for (int k = 0; k < 7; k++) assertEquals(node[id][7 + k], head2[k], 1e-5, "row " + id + " head_2[" + k + "]");
      assertEquals("test-1", row.getField(3));
    }
  }

  @Test
  void aColumnTheBundlesOutputsCannotFillFailsPlanningNamingItAndTheOutputs() {
    TableEnvironment env = SqlTests.env(1);
    String columns = SqlTests.rowsView(env, "samples", new float[][] {{1, 2, 3, 4, 5, 6}});
    String outputs = "[head_0 (5 values), head_1 (2 values), head_2 (7 values)]";
    String[][] cases = {
        {"head_0 ARRAY<FLOAT>, head_3 ARRAY<FLOAT>", "a 'tfjs' model's OUTPUT column 'head_3' is not an output of the"
            + " bundle multi-out test-1, which declares " + outputs},
        // Names are matched as Flink gives them, case included.
        {"HEAD_0 ARRAY<FLOAT>, head_1 ARRAY<FLOAT>", "OUTPUT column 'HEAD_0' is not an output of the bundle multi-out"},
        {"head_1 FLOAT", "a 'tfjs' model's OUTPUT column 'head_1' is FLOAT; the bundle multi-out test-1's output"
            + " 'head_1' has 2 values, an ARRAY<FLOAT>"},
        // No column named after a head: FLOAT columns by position, which says how to name them.
        {"a FLOAT, b FLOAT", "a 'tfjs' model's OUTPUT has 2 FLOAT columns (a, b); the bundle multi-out test-1 gives 14"
            + " outputs, declared as " + outputs + " to name columns after"},
    };
    for (int i = 0; i < cases.length; i++) {
      createMultiOut(env, "m" + i, columns, cases[i][0]);
      String query = "SELECT * FROM ML_PREDICT(TABLE samples, MODEL m" + i + ", DESCRIPTOR(" + columns + "))";
      Exception e = assertThrows(Exception.class, () -> env.executeSql(query), cases[i][0]);
      assertTrue(causes(e).contains(cases[i][1]), causes(e));
    }
  }

  /** A bundle of two one-value outputs, 'total' and 'negated': a row's sum and minus it. */
  private static Path totalAndNegated() throws Exception {
    String js = """
        globalThis.tfjsRunBundle = {
          name: 'total-and-negated', version: '1.0.0', sha256: 'abc', backend: 'none',
          inputShape: [null, 3], outputShape: [null, 2],
          outputs: [{name: 'total', columns: [0, 1]}, {name: 'negated', columns: [1, 2]}],
          load() { return Promise.resolve(); },
          activeBackend() { return 'none'; },
          predict(x, rows, cols) {
            const out = new Float32Array(rows * 2);
            for (let r = 0; r < rows; r++) {
              let s = 0;
              for (let c = 0; c < cols; c++) s += x[r * cols + c];
              out[r * 2] = s;
              out[r * 2 + 1] = -s;
            }
            return out;
          },
        };
        """;
    Path file = Files.createTempFile("tfjs-run-flink-sql-total-and-negated", ".js");
    file.toFile().deleteOnExit();
    Files.writeString(file, js, StandardCharsets.UTF_8);
    return file;
  }

  /**
   * FLOAT columns could be outputs by name or values by position: a column named after an output
   * makes it by name, for every column; with no such name they are by position.
   */
  @Test
  void aColumnNamedAfterAnOutputTakesItByNameWhateverItsPosition() throws Exception {
    TableEnvironment env = SqlTests.env(1);
    env.executeSql("CREATE TEMPORARY VIEW t AS SELECT * FROM (VALUES (1, CAST(1.0 AS DOUBLE), CAST(2.0 AS DOUBLE),"
        + " CAST(3.0 AS DOUBLE))) AS t(id, a, b, c)");
    Path bundle = totalAndNegated();
    String[][] cases = {
        {"negated FLOAT, total FLOAT", "-6.0, 6.0"},  // by name: by position they would be 6, -6
        {"x FLOAT, y FLOAT", "6.0, -6.0"},          // by position
        {"negated ARRAY<FLOAT>", "[-6.0]"},         // a one-value output as an array, and a subset of the outputs
        {"scores ARRAY<FLOAT>", "[6.0, -6.0]"},     // the whole row
    };
    for (int i = 0; i < cases.length; i++) {
      env.executeSql("CREATE MODEL m" + i + " INPUT (a DOUBLE, b DOUBLE, c DOUBLE) OUTPUT (" + cases[i][0] + ") WITH"
          + " ('provider' = 'tfjs', 'bundle' = '" + bundle + "', 'threads' = '1')");
      List<Row> out = SqlTests.collect(env, "SELECT * FROM ML_PREDICT(TABLE t, MODEL m" + i + ", DESCRIPTOR(a, b, c))");
      assertEquals(1, out.size(), cases[i][0]);
      StringJoiner got = new StringJoiner(", ");
      for (int f = 4; f < out.get(0).getArity(); f++) {
        Object v = out.get(0).getField(f);
        got.add(v instanceof Float[] a ? java.util.Arrays.toString(floats(a)) : String.valueOf(v));
      }
      assertEquals(cases[i][1], got.toString(), cases[i][0]);
    }
    // One name makes every column by name: 'y' is then no output.
    env.executeSql("CREATE MODEL mixed INPUT (a DOUBLE, b DOUBLE, c DOUBLE) OUTPUT (negated FLOAT, y FLOAT) WITH"
        + " ('provider' = 'tfjs', 'bundle' = '" + bundle + "', 'threads' = '1')");
    Exception e = assertThrows(Exception.class,
        () -> env.executeSql("SELECT * FROM ML_PREDICT(TABLE t, MODEL mixed, DESCRIPTOR(a, b, c))"));
    assertTrue(causes(e).contains("a 'tfjs' model's OUTPUT column 'y' is not an output of the bundle total-and-negated"
        + " 1.0.0, which declares [total (1 value), negated (1 value)]"), causes(e));
  }
}
