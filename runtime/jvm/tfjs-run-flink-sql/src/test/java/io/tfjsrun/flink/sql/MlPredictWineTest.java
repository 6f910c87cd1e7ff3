package io.tfjsrun.flink.sql;

import static io.tfjsrun.flink.sql.SqlTests.causes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import java.util.List;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ML_PREDICT over the wine bundle in a local Flink job, each answer against tfjs in Node's. */
class MlPredictWineTest {

  /**
   * The model's OUTPUT as the model's output row: the ARRAY<FLOAT> itself, or its FLOAT columns in
   * order; and with pipeline.object-reuse, where Flink hands chained operators the same objects.
   */
  @ParameterizedTest
  @CsvSource({"true, scores ARRAY<FLOAT>, false", "false, scores ARRAY<FLOAT>, false",
              "true, 'p0 FLOAT, p1 FLOAT, p2 FLOAT, version STRING', false",
              "false, 'version STRING, p0 FLOAT, p1 FLOAT, p2 FLOAT', false",
              "true, scores ARRAY<FLOAT>, true", "true, 'p0 FLOAT, p1 FLOAT, p2 FLOAT, version STRING', true"})
  void predictsLikeNode(boolean async, String output, boolean objectReuse) throws Exception {
    float[][] rows = Fixtures.wineRows();
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-wine-layers-cpu.csv"));
    TableEnvironment env = SqlTests.env(1);
    env.getConfig().set("pipeline.object-reuse", Boolean.toString(objectReuse));
    String columns = SqlTests.rowsView(env, "wines", rows);
    env.executeSql("CREATE MODEL wine INPUT (" + columns.replace(",", " FLOAT,") + " FLOAT) OUTPUT (" + output
        + ") WITH ('provider' = 'tfjs', 'bundle' = '" + Fixtures.bundle("wine-layers-cpu") + "', 'threads' = '1')");
    boolean array = output.contains("ARRAY");
    List<Row> out = SqlTests.collect(env, "SELECT id, " + (array ? "scores" : "p0, p1, p2, version")
        + " FROM ML_PREDICT(TABLE wines, MODEL wine, DESCRIPTOR(" + columns + "), MAP['async', '" + async + "'])");
    assertEquals(rows.length, out.size());
    for (Row row : out) {
      int id = (Integer) row.getField(0);
      Float[] scores = array ? (Float[]) row.getField(1)
          : new Float[] {(Float) row.getField(1), (Float) row.getField(2), (Float) row.getField(3)};
      assertEquals(node[id].length, scores.length);
      for (int k = 0; k < scores.length; k++) assertEquals(node[id][k], scores[k], 1e-5, "row " + id + " output " + k);
      if (!array) assertTrue(!((String) row.getField(4)).isEmpty(), "the serving version");
    }
  }

  /** A column that is not a number, an OUTPUT the model cannot give, or INPUT of another width fail planning. */
  @Test
  void aSchemaTheModelCannotTakeIsAValidationErrorNamingTheColumn() {
    TableEnvironment env = SqlTests.env(1);
    String bundle = Fixtures.bundle("wine-layers-cpu").toString();
    env.executeSql("CREATE TEMPORARY VIEW t AS SELECT * FROM (VALUES (1.0, 'x')) AS t(a, b)");
    String[][] cases = {
        {"INPUT (a DOUBLE, b STRING) OUTPUT (p ARRAY<FLOAT>)", "a, b", "INPUT column 'b' is STRING"},
        {"INPUT (a DOUBLE) OUTPUT (p DOUBLE)", "a", "OUTPUT is one ARRAY<FLOAT> column (the model's output row) or one"
            + " FLOAT column per output value, and optionally 'version STRING'; its column 'p' is DOUBLE"},
        {"INPUT (a DOUBLE) OUTPUT (p ARRAY<FLOAT>)", "a", "a 'tfjs' model's INPUT has 1 columns [a]; the bundle wine"},
        {"INPUT (a DOUBLE) OUTPUT (p FLOAT, q FLOAT)", "a", "OUTPUT has 2 FLOAT columns (p, q); the bundle wine"},
    };
    for (int i = 0; i < cases.length; i++) {
      env.executeSql("CREATE MODEL m" + i + " " + cases[i][0] + " WITH ('provider' = 'tfjs', 'bundle' = '" + bundle
          + "')");
      String query = "SELECT * FROM ML_PREDICT(TABLE t, MODEL m" + i + ", DESCRIPTOR(" + cases[i][1] + "))";
      Exception e = assertThrows(Exception.class, () -> env.executeSql(query), cases[i][0]);
      assertTrue(causes(e).contains(cases[i][2]), causes(e));
    }
  }
}
