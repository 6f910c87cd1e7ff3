package io.tfjsrun.flink.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ML_PREDICT over the wine bundle in a local Flink job, each answer against tfjs in Node's. */
class MlPredictWineTest {
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void predictsLikeNode(boolean async) throws Exception {
    float[][] rows = Fixtures.wineRows();
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-wine-layers-cpu.csv"));
    // One subtask, and network memory for the local cluster's exchanges (its default is too small here).
    Configuration conf = new Configuration();
    conf.setString("parallelism.default", "1");
    conf.setString("taskmanager.memory.network.min", "128mb");
    conf.setString("taskmanager.memory.network.max", "128mb");
    TableEnvironment env = TableEnvironment.create(
        EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf).build());
    StringJoiner columns = new StringJoiner(", ");
    StringJoiner inputs = new StringJoiner(", ");
    for (int c = 0; c < rows[0].length; c++) {
      columns.add("f" + c);
      inputs.add("f" + c + " FLOAT");
    }
    StringJoiner values = new StringJoiner(", ");
    for (int r = 0; r < rows.length; r++) {
      StringJoiner v = new StringJoiner(", ", "(" + r + ", ", ")");
      for (float x : rows[r]) v.add("CAST(" + x + " AS FLOAT)");
      values.add(v.toString());
    }
    env.executeSql("CREATE TEMPORARY VIEW wines AS SELECT * FROM (VALUES " + values + ") AS t(id, " + columns + ")");
    env.executeSql("CREATE MODEL wine INPUT (" + inputs + ") OUTPUT (scores ARRAY<FLOAT>) WITH ('provider' = 'tfjs', "
        + "'bundle' = '" + Fixtures.bundle("wine-layers-cpu") + "', 'threads' = '1')");
    List<Row> out = new ArrayList<>();
    try (CloseableIterator<Row> it = env.executeSql("SELECT id, scores FROM ML_PREDICT(TABLE wines, MODEL wine, "
        + "DESCRIPTOR(" + columns + "), MAP['async', '" + async + "'])").collect()) {
      it.forEachRemaining(out::add);
    }
    assertEquals(rows.length, out.size());
    for (Row row : out) {
      int id = (Integer) row.getField(0);
      Float[] scores = (Float[]) row.getField(1);
      assertEquals(node[id].length, scores.length);
      for (int k = 0; k < scores.length; k++) assertEquals(node[id][k], scores[k], 1e-5, "row " + id + " output " + k);
    }
  }

  /** A column that is not a number, or an OUTPUT that is not one ARRAY<FLOAT>, fails planning, naming it. */
  @Test
  void aSchemaTheModelCannotTakeIsAValidationErrorNamingTheColumn() {
    TableEnvironment env = TableEnvironment.create(EnvironmentSettings.newInstance().inStreamingMode().build());
    String bundle = Fixtures.bundle("wine-layers-cpu").toString();
    env.executeSql("CREATE TEMPORARY VIEW t AS SELECT * FROM (VALUES (1.0, 'x')) AS t(a, b)");
    env.executeSql("CREATE MODEL m1 INPUT (a DOUBLE, b STRING) OUTPUT (p ARRAY<FLOAT>) WITH ('provider' = 'tfjs', "
        + "'bundle' = '" + bundle + "')");
    Exception e = assertThrows(Exception.class,
        () -> env.executeSql("SELECT * FROM ML_PREDICT(TABLE t, MODEL m1, DESCRIPTOR(a, b))"));
    assertTrue(causes(e).contains("INPUT column 'b' is STRING"), causes(e));
    env.executeSql("CREATE MODEL m2 INPUT (a DOUBLE) OUTPUT (p FLOAT) WITH ('provider' = 'tfjs', 'bundle' = '" + bundle
        + "')");
    e = assertThrows(Exception.class, () -> env.executeSql("SELECT * FROM ML_PREDICT(TABLE t, MODEL m2, DESCRIPTOR(a))"));
    assertTrue(causes(e).contains("OUTPUT is one ARRAY<FLOAT> column"), causes(e));
  }

  private static String causes(Throwable e) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) out.append(t.getMessage()).append(" | ");
    return out.toString();
  }
}
