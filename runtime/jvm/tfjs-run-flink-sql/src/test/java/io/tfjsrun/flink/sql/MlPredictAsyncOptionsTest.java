package io.tfjsrun.flink.sql;

import static io.tfjsrun.flink.sql.SqlTests.causes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.ModelSpec;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsRuntime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

/**
 * ML_PREDICT's own options for its async operator (Flink's MLPredictRuntimeConfigOptions: the
 * planner hands 'timeout', 'max-concurrent-operations' and 'output-mode' to the AsyncWaitOperator it
 * wraps the provider's async function in), each seen in what the query does, over a bundle that
 * holds each call for as many milliseconds as its rows' first feature says.
 */
class MlPredictAsyncOptionsTest {
  /** Features (delay ms, value): a call waits its rows' longest delay, then answers each row's value. */
  private static Path delaying() throws Exception {
    String js = """
        globalThis.tfjsRunBundle = {
          name: 'delaying', version: '1.0.0', sha256: 'abc', backend: 'none',
          inputShape: [null, 2], outputShape: [null, 1],
          load() { return Promise.resolve(); },
          activeBackend() { return 'none'; },
          predict(x, rows, cols) {
            let delay = 0;
            for (let r = 0; r < rows; r++) delay = Math.max(delay, x[r * cols]);
            const end = Date.now() + delay;
            while (Date.now() < end) {}
            const out = new Float32Array(rows);
            for (let r = 0; r < rows; r++) out[r] = x[r * cols + 1];
            return out;
          },
        };
        """;
    Path file = Files.createTempFile("tfjs-run-flink-sql-delaying", ".js");
    file.toFile().deleteOnExit();
    Files.writeString(file, js, StandardCharsets.UTF_8);
    return file;
  }

  /** A view `t` (id, delay, v) of row i = (i, delays[i], i), and the model `m` over {@code bundle}. */
  private static TableEnvironment tableAndModel(Path bundle, int[] delays, String options) {
    TableEnvironment env = SqlTests.env(1);
    StringJoiner values = new StringJoiner(", ");
    for (int i = 0; i < delays.length; i++) {
      values.add("(" + i + ", CAST(" + delays[i] + " AS FLOAT), CAST(" + i + " AS FLOAT))");
    }
    env.executeSql("CREATE TEMPORARY VIEW t AS SELECT * FROM (VALUES " + values + ") AS t(id, delay, v)");
    env.executeSql("CREATE MODEL m INPUT (delay FLOAT, v FLOAT) OUTPUT (answer FLOAT) WITH ('provider' = 'tfjs',"
        + " 'bundle' = '" + bundle + "'" + options + ")");
    return env;
  }

  /** The ids of the rows in the order the query gave them, each checked to be answered its own value. */
  private static List<Integer> answeredIds(TableEnvironment env, String config) throws Exception {
    List<Integer> ids = new ArrayList<>();
    for (Row row : SqlTests.collect(env, "SELECT id, answer FROM ML_PREDICT(TABLE t, MODEL m, DESCRIPTOR(delay, v),"
        + " MAP['async', 'true'" + config + "])")) {
      int id = (Integer) row.getField(0);
      assertEquals((float) id, (Float) row.getField(1), 0f, "row " + id);
      ids.add(id);
    }
    return ids;
  }

  /**
   * Behaviour: a row not answered within 'timeout' takes AsyncFunction's default timeout handling
   * (the provider does not override it), a TimeoutException that fails the job.
   */
  @Test
  void aRowNotAnsweredWithinTheTimeoutFailsTheQuery() throws Exception {
    TableEnvironment env = tableAndModel(delaying(), new int[] {1000}, ", 'threads' = '1'");
    Exception e = assertThrows(Exception.class, () -> answeredIds(env, ", 'timeout', '50 ms'"));
    assertTrue(causes(e).contains("Async function call has timed out"), causes(e));
    assertEquals(List.of(0), answeredIds(env, ", 'timeout', '1 min'"));
  }

  /**
   * Behaviour: the operator lets at most 'max-concurrent-operations' rows be in flight in the
   * function, so with 1 every row is a request of its own, and with more the function batches the
   * rows that wait while a slow request is out. Counted on the runtime the query's tasks open (equal
   * specs share one runtime in a JVM).
   */
  @Test
  void maxConcurrentOperationsBoundsTheRowsInFlightTheFunctionCanBatch() throws Exception {
    Path bundle = delaying();
    int rows = 40;
    int[] delays = new int[rows];
    java.util.Arrays.fill(delays, 20);
    TableEnvironment env = tableAndModel(bundle, delays, ", 'threads' = '1'");
    ModelSpec spec = ModelSpec.bundle(bundle.toString()).withOptions(RuntimeOptions.defaults().withThreads(1));
    try (TfjsRuntime shared = spec.open()) {
      long before = shared.stats().totalRequests();
      assertEquals(rows, answeredIds(env, ", 'max-concurrent-operations', '1'").size());
      long alone = shared.stats().totalRequests() - before;
      assertEquals(rows, alone, "one request per row");

      before = shared.stats().totalRequests();
      assertEquals(rows, answeredIds(env, ", 'max-concurrent-operations', '" + rows + "'").size());
      long batched = shared.stats().totalRequests() - before;
      assertTrue(batched < rows / 2, batched + " requests for " + rows + " rows");
    }
  }

  /**
   * Behaviour: a slow first row (3 s, a margin for a loaded machine) and fast ones after it, on two
   * workers, each row a request ('batch.max-rows' 1). ORDERED, the default, holds the fast rows'
   * answers back until the first's; ALLOW_UNORDERED (insert-only input, so Flink uses UNORDERED)
   * emits them as they come, the slow row's last.
   */
  @Test
  void outputModeOrderedKeepsTheInputOrderAndAllowUnorderedEmitsAnswersAsTheyCome() throws Exception {
    TableEnvironment env = tableAndModel(delaying(), new int[] {3000, 0, 0},
        ", 'threads' = '2', 'batch.max-rows' = '1'");
    assertEquals(List.of(0, 1, 2), answeredIds(env, ""));
    assertEquals(List.of(0, 1, 2), answeredIds(env, ", 'output-mode', 'ORDERED'"));
    List<Integer> unordered = answeredIds(env, ", 'output-mode', 'ALLOW_UNORDERED'");
    assertEquals(3, unordered.size());
    assertEquals(0, unordered.get(2), "the slow row last: " + unordered);
  }
}
