package io.tfjsrun.flink.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model followed through 'watch' moves to the version published while its query runs. */
class MlPredictWatchTest {

  @Test
  void aVersionPublishedMidQueryAnswersTheRowsAfterIt(@TempDir Path dir) throws Exception {
    Path published = dir.resolve("published");
    Fixtures.publishVersioned(dir, 1, published);
    TableEnvironment env = SqlTests.env(1);
    env.executeSql("CREATE TEMPORARY TABLE src (a INT, b INT, c INT) WITH ('connector' = 'datagen', "
        + "'rows-per-second' = '200', 'fields.a.min' = '0', 'fields.a.max' = '9', 'fields.b.min' = '0', "
        + "'fields.b.max' = '9', 'fields.c.min' = '0', 'fields.c.max' = '9')");
    env.executeSql("CREATE MODEL m INPUT (a INT, b INT, c INT) OUTPUT (s FLOAT, n FLOAT, version STRING) WITH ("
        + "'provider' = 'tfjs', 'watch' = '" + published + "', 'watch.poll-interval-ms' = '50', 'threads' = '1')");
    long[] perVersion = new long[3];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    try (CloseableIterator<Row> it = env.executeSql("SELECT a, b, c, s, n, version FROM ML_PREDICT(TABLE src, MODEL m, "
        + "DESCRIPTOR(a, b, c))").collect()) {
      int last = 1;
      while (perVersion[2] < 50) {
        assertTrue(System.nanoTime() < deadline, "timed out; rows per version " + java.util.Arrays.toString(perVersion));
        Row row = it.next();
        int n = (int) (float) (Float) row.getField(4);
        int sum = (Integer) row.getField(0) + (Integer) row.getField(1) + (Integer) row.getField(2);
        assertEquals(sum * 1000f + n, (Float) row.getField(3), 0f, "a whole answer from one version");
        assertEquals("v" + n, row.getField(5));
        assertTrue(n >= last, "versions only move forward: v" + last + " then v" + n);
        last = n;
        if (++perVersion[n] == 50 && n == 1) Fixtures.publishVersioned(dir, 2, published);
      }
    }
    assertTrue(perVersion[1] >= 50, java.util.Arrays.toString(perVersion));
  }
}
