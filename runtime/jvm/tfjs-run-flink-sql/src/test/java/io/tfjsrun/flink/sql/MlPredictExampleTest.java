package io.tfjsrun.flink.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tfjsrun.Fixtures;
import java.nio.file.Files;
import java.util.List;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

/**
 * examples/flink-sql-wine/wine.sql, statement by statement, in a TableEnvironment (the SQL client's own
 * SET statements left out). examples/flink-sql-wine's SqlClientOnAClusterTest runs the same script
 * with the SQL client on a standalone cluster.
 */
class MlPredictExampleTest {
  @Test
  void theExamplesSqlScoresEveryWineAsNodeDoes() throws Exception {
    String script = Files.readString(Fixtures.sourceFile("examples/flink-sql-wine/wine.sql"))
        .replace("${WINE_DATA}", Fixtures.sourceFile("examples/wine/data/wine.data").toString())
        .replace("${WINE_BUNDLE}", Fixtures.bundle("wine-layers-cpu").toString())
        .replaceAll("(?m)^--.*\n", "")
        .replaceAll("(?m)^SET .*\n", "");
    String[] statements = script.split(";\\s*(\n|$)");
    assertEquals(3, statements.length, script);
    TableEnvironment env = SqlTests.env(1);
    env.executeSql(statements[0]);
    env.executeSql(statements[1]);
    List<Row> out = SqlTests.collect(env, statements[2]);
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-wine-layers-cpu.csv"));
    assertEquals(node.length, out.size());
    for (int r = 0; r < node.length; r++) {
      Row row = out.get(r);
      for (int k = 0; k < 3; k++) assertEquals(node[r][k], (Float) row.getField(1 + k), 1e-5, "row " + r + " class " + k);
      assertEquals("test-1", row.getField(4), "row " + r);  // the fixture bundle's version
    }
  }
}
