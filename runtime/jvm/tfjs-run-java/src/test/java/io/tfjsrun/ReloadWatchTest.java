package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload from Java, pushed and watched, under continuous load: no record fails or is lost,
 * each answer is whole from one version, and versions only move forward.
 */
class ReloadWatchTest {
  private static final RuntimeOptions TWO = RuntimeOptions.defaults().withThreads(2);
  private static final float[] ROW = {1, 2, 3};  // versioned bundle answers [6000 + N, N]

  /** Callers that predict until stopped, checking every answer; returns answers per version. */
  private static final class Load implements AutoCloseable {
    final AtomicBoolean stop = new AtomicBoolean();
    final ExecutorService pool = Executors.newFixedThreadPool(4);
    final List<Future<long[]>> callers = new ArrayList<>();

    Load(TfjsRuntime runtime) {
      for (int t = 0; t < 4; t++) {
        final boolean async = t % 2 == 1;
        callers.add(pool.submit(() -> {
          long[] perVersion = new long[8];
          int[] lastOnWorker = new int[64];
          while (!stop.get()) {
            Prediction p = async ? runtime.submitVersioned(ROW, 1).get() : runtime.predictVersioned(ROW, 1);
            int n = (int) p.values()[1];
            assertEquals(6000f + n, p.values()[0], 0f, "a whole answer from one version");
            assertEquals("v" + n, p.version());
            // Each worker switches with one pointer swap on its own thread, so versions move forward
            // per worker; during the switch another worker may still answer with the old one.
            assertTrue(n >= lastOnWorker[p.worker()], "versions only move forward on worker " + p.worker() + ": "
                + lastOnWorker[p.worker()] + " then " + n);
            lastOnWorker[p.worker()] = n;
            perVersion[n]++;
          }
          return perVersion;
        }));
      }
    }

    long[] finish() throws Exception {
      stop.set(true);
      long[] total = new long[8];
      for (Future<long[]> f : callers) {
        long[] c = f.get(60, TimeUnit.SECONDS);  // a failed call fails the test here
        for (int i = 0; i < total.length; i++) total[i] += c[i];
      }
      pool.shutdown();
      return total;
    }

    @Override
    public void close() {
      stop.set(true);
      pool.shutdownNow();
    }
  }

  private static void awaitVersion(TfjsRuntime runtime, String version) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!runtime.info().version().equals(version)) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + version + ": " + runtime.stats());
      Thread.sleep(20);
    }
  }

  @Test
  void pushedReloadsUnderLoadLoseNothingAndABrokenVersionNeverReplacesAGoodOne() throws Exception {
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.versionedBundle(1, "ok"), "v1", TWO);
         Load load = new Load(runtime)) {
      Thread.sleep(200);
      ReloadResult ok = runtime.reload(Fixtures.versionedBundle(2, "ok"), "");
      assertTrue(ok.ok(), ok.toString());
      assertEquals("v2", ok.version());
      assertEquals(2, ok.workerLoadMs().length);
      Thread.sleep(200);
      ReloadResult broken = runtime.reload(Fixtures.versionedBundle(3, "load-throws"), "");
      assertFalse(broken.ok());
      assertTrue(broken.error().contains("v3"), broken.error());
      ReloadResult throwsOnPredict = runtime.reload(Fixtures.versionedBundle(4, "warmup-throws"), "");
      assertFalse(throwsOnPredict.ok(), throwsOnPredict.toString());
      Thread.sleep(200);
      long[] perVersion = load.finish();
      assertTrue(perVersion[1] > 0 && perVersion[2] > 0, "served v1 then v2: " + java.util.Arrays.toString(perVersion));
      assertEquals(0, perVersion[3] + perVersion[4], "broken versions served nothing");
      assertEquals("v2", runtime.info().version());
      RuntimeStats stats = runtime.stats();
      assertEquals(1, stats.reloadsOk);
      assertEquals(2, stats.reloadsFailed);
      for (RuntimeStats.WorkerStats w : stats.workers) {
        assertEquals("v2", w.version);
        assertEquals(0, w.failedBatches);
      }
    }
  }

  /** Rows of {@code table} at {@code picked}, row-major. */
  private static float[] rowsAt(float[][] table, int... picked) {
    float[][] rows = new float[picked.length][];
    for (int i = 0; i < picked.length; i++) rows[i] = table[picked[i]];
    return Fixtures.flatten(rows);
  }

  private static void assertServesLike(TfjsRuntime runtime, float[][] wine, String ref, String version) throws Exception {
    float[] expected = Fixtures.flatten(Fixtures.readCsv(Fixtures.dir().resolve(ref)));
    Prediction p = runtime.predictVersioned(Fixtures.flatten(wine), wine.length);
    assertEquals(version, p.version());
    assertEquals(expected.length, p.values().length);
    for (int i = 0; i < expected.length; i++) assertEquals(expected[i], p.values()[i], 1e-5, "value " + i);
  }

  @Test
  void aPushedVersionWhoseAnswersDisagreeIsRefusedNamedAndNeverServes() throws Exception {
    // The wine model without its app takes the same 13 columns and answers about [1, 0, 0] to
    // every raw row: right for class 1 (rows 0-58) only. The sample has a row of each class.
    float[][] wine = Fixtures.wineRows();
    float[][] ref = Fixtures.readCsv(Fixtures.dir().resolve("ref-wine-layers-cpu.csv"));
    float[] sample = rowsAt(wine, 0, 60, 130);
    float[] expected = rowsAt(ref, 0, 60, 130);
    RuntimeOptions options = TWO.withReloadNice(3);  // a runtime of this test's own
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("wine-layers-cpu"), options)) {
      String serving = runtime.info().version();
      ReloadResult wrong = runtime.reload(Files.readAllBytes(Fixtures.bundle("wine-noapp")), "noapp", "noapp-2", sample,
          expected, TfjsRuntime.DEFAULT_TOLERANCE);
      assertFalse(wrong.ok(), wrong.toString());
      assertTrue(wrong.error().contains("version noapp-2: its warm-up answers disagree with the expected output"),
          wrong.error());
      ReloadResult wrongWidth = runtime.reload(Files.readAllBytes(Fixtures.bundle("wine-layers-wasm")), "wasm", "w-3",
          new float[] {1, 2, 3, 4, 5}, null, TfjsRuntime.DEFAULT_TOLERANCE);
      assertFalse(wrongWidth.ok(), wrongWidth.toString());
      assertTrue(wrongWidth.error().contains("version w-3 refused: the warm-up sample has 5 values, not whole rows of the bundle's 13"),
          wrongWidth.error());
      assertServesLike(runtime, wine, "ref-wine-layers-cpu.csv", serving);
      ReloadResult good = runtime.reload(Files.readAllBytes(Fixtures.bundle("wine-layers-wasm")), "wasm", "wasm-4",
          sample, expected, TfjsRuntime.DEFAULT_TOLERANCE);
      assertTrue(good.ok(), good.toString());
      assertServesLike(runtime, wine, "ref-wine-layers-wasm.csv", "wasm-4");
    }
  }

  @Test
  void closingDuringASlowReloadReturnsWithin2sAndAnswersTheRequestsInFlight() throws Exception {
    // Version 2's load() busy-loops for 30 s under a 120 s load deadline; close() abandons it.
    TfjsRuntime runtime = TfjsRuntime.open(Fixtures.versionedBundle(1, "ok"), "v1", TWO.withLoadTimeoutMs(120000));
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<ReloadResult> reload = pool.submit(() -> runtime.reload(Fixtures.versionedBundle(2, "loads-slowly"), "2"));
      Thread.sleep(1000);  // the load is looping
      assertFalse(reload.isDone(), "version 2 finished loading: the test checked nothing");
      CompletableFuture<Prediction> inFlight = runtime.submitVersioned(ROW, 1);
      long start = System.nanoTime();
      runtime.close();
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(seconds < 2.0, "close() took " + seconds + " s");
      ReloadResult r = reload.get(5, TimeUnit.SECONDS);
      assertFalse(r.ok(), r.toString());
      assertTrue(r.error().contains("abandoned, nothing switched"), r.error());
      Prediction p = inFlight.get(5, TimeUnit.SECONDS);
      assertEquals("v1", p.version());
      assertEquals(6001f, p.values()[0], 0f);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void watchingADirectoryFollowsPublishedVersionsUnderLoad(@TempDir Path dir) throws Exception {
    Path published = dir.resolve("published");
    Fixtures.publishVersioned(dir, 1, published);
    WatchOptions watch = WatchOptions.of(published.toString()).withPollIntervalMs(50);
    try (TfjsRuntime runtime = TfjsRuntime.openWatching(watch, TWO); Load load = new Load(runtime)) {
      assertEquals("v1", runtime.info().version());
      Thread.sleep(200);
      Fixtures.publishVersioned(dir, 2, published);
      awaitVersion(runtime, "v2");
      // Garbage at the source: the manifest names a bundle whose checksum does not match.
      Files.writeString(published.resolve("manifest.json"),
          "{\"version\": \"v5\", \"bundle\": \"ml-v2.bundle.js\", \"sha256\": \"" + "0".repeat(64)
              + "\", \"size\": " + Files.size(published.resolve("ml-v2.bundle.js")) + "}");
      Thread.sleep(300);
      assertEquals("v2", runtime.info().version());
      Fixtures.publishVersioned(dir, 3, published);
      awaitVersion(runtime, "v3");
      long[] perVersion = load.finish();
      assertTrue(perVersion[1] > 0 && perVersion[2] > 0 && perVersion[3] > 0, java.util.Arrays.toString(perVersion));
      RuntimeStats.WatchStats w = runtime.stats().watch;
      assertTrue(w.active);
      assertEquals(published.toString(), w.source);
      assertEquals(2, w.downloads, w.toString());
      assertTrue(w.failures >= 1, w.toString());
      assertTrue(w.lastError.contains("v5"), w.lastError);
    }
  }

  @Test
  void watchingASourceThatIsDownFailsToOpenWithBundleRead(@TempDir Path dir) {
    TfjsException e = org.junit.jupiter.api.Assertions.assertThrows(TfjsException.class,
        () -> TfjsRuntime.openWatching(WatchOptions.of(dir.resolve("nothing-here").toString()), TWO));
    assertEquals(TfjsException.Kind.BUNDLE_READ, e.kind());
  }

  @Test
  void asyncRequestsInFlightDuringAReloadAllComplete() throws Exception {
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.versionedBundle(1, "ok"), "v1", TWO)) {
      List<CompletableFuture<Prediction>> inFlight = new ArrayList<>();
      for (int i = 0; i < 2000; i++) inFlight.add(runtime.submitVersioned(ROW, 1));
      assertTrue(runtime.reload(Fixtures.versionedBundle(2, "ok"), "").ok());
      for (int i = 0; i < 2000; i++) inFlight.add(runtime.submitVersioned(ROW, 1));
      int last = 0;
      for (CompletableFuture<Prediction> f : inFlight) {
        Prediction p = f.get();
        int n = (int) p.values()[1];
        assertEquals(6000f + n, p.values()[0], 0f);
        assertTrue(n == 1 || n == 2);
        last = Math.max(last, n);
      }
      assertEquals(2, last);
    }
  }

}
