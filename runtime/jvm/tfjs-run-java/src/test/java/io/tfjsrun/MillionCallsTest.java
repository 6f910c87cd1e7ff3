package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A million calls through JNI, sync and async, with no growth: the worker threads' local
 * references are freed per callback (a leak would also trip -Xcheck:jni, which the test run
 * enables and tools/test-jvm.sh checks), every future's global reference is released, and RSS
 * and the Java heap stay flat once warm.
 */
class MillionCallsTest {

  private static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
    throw new IllegalStateException("no VmRSS");
  }

  private static long heapAfterGcKb() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return (rt.totalMemory() - rt.freeMemory()) / 1024;
  }

  /** {@code calls} calls on 4 threads; half sync one-row predicts, half async with 64 in flight. */
  private static long run(TfjsRuntime runtime, float[][] rows, float[][] expected, int calls) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<Long>> done = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      final boolean async = t % 2 == 1;
      final int offset = t;
      done.add(pool.submit(() -> {
        long n = 0;
        ArrayDeque<CompletableFuture<float[]>> window = new ArrayDeque<>();
        ArrayDeque<Integer> windowRows = new ArrayDeque<>();
        for (int i = 0; i < calls / 4; i++) {
          int r = (i + offset) % rows.length;
          if (async) {
            window.add(runtime.submit(rows[r], 1));
            windowRows.add(r);
            if (window.size() >= 64) {
              assertArrayEquals(expected[windowRows.poll()], window.poll().get(), 0f);
            }
          } else {
            float[] out = runtime.predict(rows[r], 1);
            if ((i & 1023) == 0) assertArrayEquals(expected[r], out, 0f);
          }
          n++;
        }
        while (!window.isEmpty()) assertArrayEquals(expected[windowRows.poll()], window.poll().get(), 0f);
        return n;
      }));
    }
    long total = 0;
    for (Future<Long> f : done) total += f.get();
    pool.shutdown();
    return total;
  }

  @Test
  void aMillionCallsWithoutLocalRefRssOrHeapGrowth() throws Exception {
    float[][] rows = Fixtures.wineRows();
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("wine-layers-wasm"), RuntimeOptions.defaults().withThreads(2))) {
      float[][] expected = runtime.predict(rows);
      // Warm-up: JIT in the JVM and the isolates, the isolates' heaps, malloc arenas, thread attach.
      // Measured: RSS rises ~40 MB over the first half million calls, then stays flat.
      assertEquals(300_000, run(runtime, rows, expected, 300_000));
      long heapWarm = heapAfterGcKb();
      assertEquals(500_000, run(runtime, rows, expected, 500_000));
      long rssHalf = rssKb();
      assertEquals(500_000, run(runtime, rows, expected, 500_000));
      long rssGrowthKb = rssKb() - rssHalf;
      long heapGrowthKb = heapAfterGcKb() - heapWarm;
      System.out.printf("million calls: RSS %+d KiB over the last 500k calls, heap after GC %+d KiB over 1M%n",
          rssGrowthKb, heapGrowthKb);
      // A leaked local or global reference (or a request) per call would be >= 8 bytes x 500k = 4 MB.
      assertTrue(rssGrowthKb < 4 * 1024, "RSS grew " + rssGrowthKb + " KiB over 500k calls after warm-up");
      assertTrue(heapGrowthKb < 8 * 1024, "heap grew " + heapGrowthKb + " KiB over a million calls");
      assertTrue(runtime.stats().totalRows() >= 1_300_000 + rows.length);
    }
  }
}
