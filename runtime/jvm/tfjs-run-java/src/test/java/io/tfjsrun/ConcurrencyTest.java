package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Many threads on one shared runtime, sync and async: every answer is its own row's, to the bit. */
class ConcurrencyTest {

  @Test
  void sixteenThreadsOnOneSharedRuntimeGetTheirOwnRowsAnswers() throws Exception {
    float[][] rows = Fixtures.wineRows();
    RuntimeOptions options = RuntimeOptions.defaults().withThreads(2);
    float[][] expected;
    try (TfjsRuntime reference = TfjsRuntime.open(Fixtures.bundle("wine-layers-wasm"), options)) {
      expected = new float[rows.length][];
      for (int r = 0; r < rows.length; r++) expected[r] = reference.predict(rows[r], 1);
      ExecutorService pool = Executors.newFixedThreadPool(16);
      List<Future<Integer>> done = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        final int thread = t;
        done.add(pool.submit(() -> {
          // Each thread opens its own handle, as each Flink subtask does; they share the runtime.
          try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("wine-layers-wasm"), options)) {
            int checked = 0;
            for (int i = 0; i < 300; i++) {
              int r = (thread * 31 + i * 7) % rows.length;
              assertArrayEquals(expected[r], runtime.predict(rows[r], 1), 0f, "thread " + thread + " row " + r);
              checked++;
            }
            return checked;
          }
        }));
      }
      int total = 0;
      for (Future<Integer> f : done) total += f.get();
      pool.shutdown();
      assertEquals(16 * 300, total);
      RuntimeStats stats = reference.stats();
      assertEquals(2, stats.workers.size());
      assertTrue(stats.totalRows() >= 16 * 300 + rows.length, "every row counted: " + stats);
      // 16 callers and 2 workers: rows of several callers share predict calls.
      double meanBatch = (double) stats.totalRows() / stats.workers.stream().mapToLong(w -> w.batches).sum();
      assertTrue(meanBatch > 1.0, "batching across callers: " + stats);
    }
  }

  @Test
  void asyncResultsComeBackForTheirOwnRowsInAnyCompletionOrder() throws Exception {
    float[][] rows = Fixtures.wineRows();
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("wine-layers-cpu"), RuntimeOptions.defaults().withThreads(2))) {
      float[][] expected = runtime.predict(rows);
      List<CompletableFuture<Prediction>> futures = new ArrayList<>();
      List<Integer> completionOrder = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int i = 0; i < 5000; i++) {
        final int index = i;
        CompletableFuture<Prediction> f = runtime.submitVersioned(rows[i % rows.length], 1);
        f.thenRun(() -> completionOrder.add(index));
        futures.add(f);
      }
      for (int i = 0; i < futures.size(); i++) {
        Prediction p = futures.get(i).get();
        assertArrayEquals(expected[i % rows.length], p.values(), 0f, "request " + i);
        assertEquals("test-1", p.version());
        assertEquals(1, p.output().rows());
      }
      assertEquals(5000, completionOrder.size());
      assertTrue(runtime.stats().workers.stream().mapToDouble(w -> w.meanBatchRows).max().orElse(0) > 1,
          "queued requests were batched");
    }
  }
}
