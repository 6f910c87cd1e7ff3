package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The options' one path: Java sets fields, the native bridge reads them by name over the C++
 * defaults and checks them against the C++ ranges; stats come back through constructors.
 */
class OptionsTest {

  @Test
  void theDefaultsJavaReportsAreTheCppOnes() {
    // Read through the native library from a default-constructed tfjs_run::RuntimeOptions.
    RuntimeOptions defaults = RuntimeOptions.defaults().resolved();
    assertEquals("RuntimeOptions[threads=0, pinning=AUTO, maxBatchRows=64, maxBatchDelayMicros=0, spinMicros=0, "
        + "callerRuns=true, chunkRows=256, maxQueueRows=65536, loadTimeoutMs=30000, predictTimeoutMs=60000, maxHeapMb=1024, "
        + "maxBufferMb=2048, rollbackWindowMs=60000, rollbackWindowBatches=10000, useCodeCache=true, reloadNice=10, "
        + "codeCacheDir=, modelExec=AUTO]", defaults.toString());
    assertEquals(64, RuntimeOptions.defaults().maxBatchRows());
    assertEquals(65536, RuntimeOptions.defaults().maxQueueRows());
    assertEquals(0, RuntimeOptions.defaults().spinMicros());
    assertEquals("WatchOptions[source=/x, pollIntervalMs=5000, connectTimeoutMs=2000, totalTimeoutMs=30000, "
        + "maxBundleBytes=268435456, verifyTls=true, caFile=, maxBackoffMs=60000]",
        WatchOptions.of("/x").resolved().toString());
  }

  @Test
  void everyOptionSetInJavaReachesCpp() {
    // Every field, none at its default: what C++ took comes back as it was set.
    RuntimeOptions all = RuntimeOptions.defaults().withThreads(3).withPinning(RuntimeOptions.Pinning.NEVER)
        .withMaxBatchRows(7).withMaxBatchDelayMicros(11).withSpinMicros(13).withCallerRuns(false).withChunkRows(17).withMaxQueueRows(19)
        .withLoadTimeoutMs(23).withPredictTimeoutMs(29).withMaxHeapMb(31).withMaxBufferMb(37)
        .withRollbackWindow(41, 43).withCodeCache(false).withReloadNice(5).withCodeCacheDir("/tmp/cc")
        .withModelExec(RuntimeOptions.ModelExec.TFJS);
    assertEquals(all.toString(), all.resolved().toString());
    assertEquals(all, all.resolved());
    WatchOptions watch = WatchOptions.of("https://models/wine").withPollIntervalMs(47).withConnectTimeoutMs(53)
        .withTotalTimeoutMs(59).withMaxBundleBytes(61).withInsecureTls().withCaFile("/ca.pem").withMaxBackoffMs(67);
    assertEquals(watch, watch.resolved());
  }

  @Test
  void theRuntimeRunsWithWhatWasSet() throws Exception {
    float[][] rows = Fixtures.wineRows();
    RuntimeOptions options = RuntimeOptions.defaults().withThreads(3).withMaxBatchRows(1).withSpinMicros(20);
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("wine-layers-cpu"), options)) {
      assertEquals(3, runtime.workers());
      List<CompletableFuture<float[]>> pending = new ArrayList<>();
      for (int i = 0; i < 5; i++) pending.add(runtime.submit(rows[i], 1));
      for (int i = 5; i < 10; i++) runtime.predict(rows[i], 1);
      for (CompletableFuture<float[]> f : pending) f.get();
      RuntimeStats stats = runtime.stats();
      assertEquals(3, stats.workers.size());
      assertEquals(10, stats.totalRows());
      assertEquals(10, stats.totalRequests());
      // One row per batch: maxBatchRows reached the queue.
      assertEquals(10, stats.workers.stream().mapToLong(w -> w.batches).sum());
      for (RuntimeStats.WorkerStats w : stats.workers) {
        assertEquals(w.batches == 0 ? 0.0 : 1.0, w.meanBatchRows, 0.0, w.toString());
        assertEquals(runtime.info().version(), w.version);
        assertEquals(0, w.failedBatches);
      }
      assertTrue(stats.latency.maxUs > 0 && stats.latency.p50Us <= stats.latency.maxUs, stats.latency.toString());
      assertEquals(0, stats.queueRows);
      assertEquals(0, stats.reloadsOk);
      assertEquals("", stats.lastReloadError);
      assertFalse(stats.watch.active);
      assertEquals(0, stats.watch.polls);
      assertTrue(stats.watch.failuresByReason.isEmpty());
      assertTrue(stats.watch.badVersions.isEmpty());
    }
  }

  @Test
  void anOptionOutOfItsRangeIsRefusedNamingTheFieldAndTheRange() throws Exception {
    IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
        () -> RuntimeOptions.defaults().withMaxBatchRows(0).resolved());
    assertEquals("RuntimeOptions.maxBatchRows must be in [1, 16777216], got 0", rows.getMessage());
    IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
        () -> TfjsRuntime.open(Fixtures.bundle("wine-layers-cpu"), RuntimeOptions.defaults().withMaxHeapMb(8)));
    assertEquals("RuntimeOptions.maxHeapMb must be 0 or in [16, 1048576], got 8", heap.getMessage());
    IllegalArgumentException threads = assertThrows(IllegalArgumentException.class,
        () -> TfjsRuntime.open(Fixtures.bundle("wine-layers-cpu"), RuntimeOptions.defaults().withThreads(-1)));
    assertEquals("RuntimeOptions.threads must be in [0, 1024], got -1", threads.getMessage());
    IllegalArgumentException poll = assertThrows(IllegalArgumentException.class,
        () -> WatchOptions.of("/x").withPollIntervalMs(0).resolved());
    assertEquals("WatchOptions.pollIntervalMs must be in [10, 86400000], got 0", poll.getMessage());
  }

  @Test
  void anUnsetOptionAndTheSameSetToItsDefaultShareOneRuntime() throws Exception {
    Path bundle = Fixtures.bundle("wine-layers-cpu");
    RuntimeOptions one = RuntimeOptions.defaults().withThreads(1).withReloadNice(4);  // a runtime of this test's own
    RuntimeOptions explicit = one.withMaxBatchRows(64).withChunkRows(256);
    assertNotEquals(one, explicit);  // as values they differ: Java does not know the defaults
    try (TfjsRuntime a = TfjsRuntime.open(bundle, one); TfjsRuntime b = TfjsRuntime.open(bundle, explicit)) {
      assertEquals(2, a.sharedBy());
      assertEquals(2, b.sharedBy());
    }
  }

  @Test
  void optionsAreBuiltComparedAndSerializedWithoutTheNativeLibrary() throws Exception {
    // A job client's class loader: tfjs-run's classes, the native library never loaded.
    URL classes = RuntimeOptions.class.getProtectionDomain().getCodeSource().getLocation();
    try (URLClassLoader client = new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
      Class<?> optionsClass = client.loadClass("io.tfjsrun.RuntimeOptions");
      Object defaults = optionsClass.getMethod("defaults").invoke(null);
      Object two = optionsClass.getMethod("withThreads", int.class).invoke(defaults, 2);
      Object spin = optionsClass.getMethod("withSpinMicros", long.class).invoke(two, 5L);
      assertEquals("RuntimeOptions[threads=2, spinMicros=5]", spin.toString());
      assertEquals(spin, optionsClass.getMethod("withSpinMicros", long.class).invoke(two, 5L));
      Class<?> watchClass = client.loadClass("io.tfjsrun.WatchOptions");
      Object watch = watchClass.getMethod("withPollIntervalMs", long.class)
          .invoke(watchClass.getMethod("of", String.class).invoke(null, "/models"), 100L);
      assertEquals("WatchOptions[source=/models, pollIntervalMs=100]", watch.toString());
      try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
        out.writeObject(spin);
        out.writeObject(watch);
      }
      Field loaded = client.loadClass("io.tfjsrun.NativeLibraryLoader").getDeclaredField("loaded");
      loaded.setAccessible(true);
      assertFalse((boolean) loaded.get(null), "the native library was loaded");
    }
  }
}
