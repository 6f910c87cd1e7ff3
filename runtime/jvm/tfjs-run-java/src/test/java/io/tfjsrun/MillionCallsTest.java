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
 * A million calls through JNI, sync and async, with no growth: every future's global reference
 * is released (counted exactly by the bridge), nothing stays reachable on the Java heap, and RSS
 * stays flat once warm. Worker-thread local references live in a LocalFrame per callback, so
 * they cannot accumulate; the run is under -Xcheck:jni (tests/jvm_test.sh fails on its warnings).
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
      // Measured (phases of 300k calls): RSS rises ~40-55 MB over the first ~900k calls, then
      // moves within +-20 MB.
      assertEquals(800_000, run(runtime, rows, expected, 800_000));
      long heapWarm = heapAfterGcKb();
      long rssWarm = rssKb();
      assertEquals(1_000_000, run(runtime, rows, expected, 1_000_000));
      long rssGrowthKb = rssKb() - rssWarm;
      long heapGrowthKb = heapAfterGcKb() - heapWarm;
      System.out.printf("million calls: RSS %+d KiB, heap after GC %+d KiB, live callbacks %d%n", rssGrowthKb,
          heapGrowthKb, NativeRuntime.liveCallbacks());
      // Exact: no sink's global reference outlives its request.
      assertEquals(0, NativeRuntime.liveCallbacks());
      // A leaked future or result per call would keep >= 100 bytes x 1M = 100 MB reachable.
      assertTrue(heapGrowthKb < 8 * 1024, "heap grew " + heapGrowthKb + " KiB over a million calls");
      // Measured noise of RSS between phases of 300k calls, once warm: +-20 MB (the isolates' heaps
      // resize, malloc arenas). A leak of 64 bytes per call would add 64 MB.
      assertTrue(rssGrowthKb < 48 * 1024, "RSS grew " + rssGrowthKb + " KiB over a million calls");
      assertTrue(runtime.stats().totalRows() >= 1_800_000 + rows.length);
    }
  }
}
