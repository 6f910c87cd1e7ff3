package io.tfjsrun.examples.flinksql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/flink-sql-wine/run.sh as a user runs it, with no FLINK_HOME: a standalone cluster (a
 * JobManager and a TaskManager process) on the lib/ this module assembles, and wine.sql through
 * Flink's SQL client. Every one of the 178 printed rows is compared with tfjs in Node on the same
 * bundle, and the TaskManager's log must show the ML_PREDICT task run there.
 */
class SqlClientOnAClusterTest {
  /** The tableau rows the SQL client printed: op, label, class_1..3, version. */
  private static List<String[]> tableRows(String out) {
    List<String[]> rows = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (!line.startsWith("| +I |")) continue;
      String[] cells = line.substring(1, line.lastIndexOf('|')).split("\\|");
      for (int i = 0; i < cells.length; i++) cells[i] = cells[i].trim();
      rows.add(cells);
    }
    return rows;
  }

  @Test
  void theSqlClientScoresEveryWineOnAClusterAsNodeDoes(@TempDir Path dir) throws Exception {
    Path bundle = Fixtures.bundle("wine-layers-cpu");
    Path cluster = dir.resolve("cluster");
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    ProcessBuilder run = new ProcessBuilder("bash", Fixtures.sourceFile("examples/flink-sql-wine/run.sh").toString(),
        bundle.toString()).redirectOutput(out.toFile()).redirectError(err.toFile());
    run.environment().remove("FLINK_HOME");
    run.environment().put("FLINK_CLUSTER_DIR", cluster.toString());
    Process p = run.start();
    boolean ended = p.waitFor(5, TimeUnit.MINUTES);
    if (!ended) {  // run.sh's own exit would have stopped the cluster
      p.destroyForcibly();
      new ProcessBuilder("bash", Fixtures.sourceFile("examples/flink-sql-wine/cluster.sh").toString(), "stop",
          cluster.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    }
    String printed = Files.readString(out, StandardCharsets.UTF_8);
    String diagnostics = "stdout:\n" + printed + "\nstderr:\n" + tail(err) + "\ntaskmanager.log:\n"
        + tail(cluster.resolve("taskmanager.log"));
    assertTrue(ended, "run.sh ended within 5 minutes\n" + diagnostics);
    assertEquals(0, p.exitValue(), diagnostics);

    List<String[]> rows = tableRows(printed);
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-wine-layers-cpu.csv"));
    float[][] wines = Fixtures.readCsv(Fixtures.sourceFile("examples/wine/data/wine.data"));
    assertEquals(node.length, rows.size(), "one printed row per wine\n" + diagnostics);
    assertTrue(printed.contains("Received a total of " + node.length + " rows"), diagnostics);
    for (int r = 0; r < node.length; r++) {
      String[] row = rows.get(r);
      assertEquals((int) wines[r][0], Integer.parseInt(row[1]), "row " + r + "'s label, in the file's order");
      for (int k = 0; k < 3; k++) {
        assertEquals(node[r][k], Float.parseFloat(row[2 + k]), 1e-5, "row " + r + " class " + (k + 1));
      }
      assertEquals("test-1", row[5], "row " + r + "'s bundle version");
    }
    // The query ran in the TaskManager process, not in the SQL client.
    String taskManager = Files.readString(cluster.resolve("taskmanager.log"), StandardCharsets.UTF_8);
    assertTrue(taskManager.matches("(?s).*MLPredictTableFunction.*switched from RUNNING to FINISHED.*"),
        "the TaskManager ran the ML_PREDICT task\n" + tail(cluster.resolve("taskmanager.log")));
  }

  private static String tail(Path file) throws IOException {
    if (!Files.exists(file)) return "(no " + file + ")";
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
