package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calls that used to crash the JVM (a null bundle, arrays shorter than the rows they claim, a
 * sample of the wrong width) are each a TfjsException of a documented kind, or a refused reload,
 * and the runtime keeps serving. The native methods are called directly too, with what the Java
 * layer would never pass: every JNI entry checks its arguments itself.
 */
class HostileCallsTest {
  private static final RuntimeOptions ONE = RuntimeOptions.defaults().withThreads(1);
  private static final Path PROBE = Fixtures.sourceFile("tests/fixtures/probe.js");

  private static TfjsException.Kind kindOf(Executable call) {
    return assertThrows(TfjsException.class, call).kind();
  }

  @Test
  void aNullBundleIsBundleReadAndTheRuntimeKeepsServing() throws Exception {
    assertEquals(TfjsException.Kind.BUNDLE_READ, kindOf(() -> TfjsRuntime.open((byte[]) null, "null.js", ONE)));
    try (TfjsRuntime runtime = TfjsRuntime.open(PROBE, ONE)) {
      TfjsException e = assertThrows(TfjsException.class, () -> runtime.reload((byte[]) null, "2"));
      assertEquals(TfjsException.Kind.BUNDLE_READ, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains("is null"), e.getMessage());
      assertEquals(TfjsException.Kind.BUNDLE_READ,
          kindOf(() -> runtime.reload((byte[]) null, "pushed.js", "3", new float[] {1, 2, 3})));
      assertEquals(6f, runtime.predict(new float[] {1, 2, 3}, 1)[0], 0f);
      assertEquals("1.0.0", runtime.info().version());
    }
  }

  @Test
  void aBundleFileOverTheSizeLimitIsRefusedUnread(@TempDir Path dir) throws Exception {
    // Sparse, so it costs no disk; reading it would need 512 MiB, this JVM's whole heap.
    Path huge = dir.resolve("huge.bundle.js");
    try (RandomAccessFile file = new RandomAccessFile(huge.toFile(), "rw")) {
      file.setLength((1L << 29) - 23);  // V8's longest string, 2^29 - 24, plus one byte
    }
    TfjsException e = assertThrows(TfjsException.class, () -> TfjsRuntime.open(huge, ONE));
    assertEquals(TfjsException.Kind.BUNDLE_READ, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains(huge.toString()) && e.getMessage().contains("536870889 bytes"), e.getMessage());
    try (TfjsRuntime runtime = TfjsRuntime.open(PROBE, ONE)) {
      ReloadResult r = runtime.reload(huge, "2");
      assertFalse(r.ok());
      assertTrue(r.error().contains("536870889 bytes"), r.error());
      assertEquals(6f, runtime.predict(new float[] {1, 2, 3}, 1)[0], 0f);
    }
  }

  @Test
  void aReloadWhoseSampleIsNotWholeRowsIsRefusedAndNotMarkedBad() throws Exception {
    byte[] probe = Files.readAllBytes(PROBE);
    try (TfjsRuntime runtime = TfjsRuntime.open(PROBE, ONE)) {
      ReloadResult bad = runtime.reload(probe, "probe.js", "2", new float[] {1, 2, 3, 4});
      assertFalse(bad.ok(), "a 4-value sample for 3 columns was taken");
      assertTrue(bad.error().contains("4 values") && bad.error().contains("3 columns"), bad.error());
      assertEquals("1.0.0", runtime.info().version());
      ReloadResult good = runtime.reload(probe, "probe.js", "2", new float[] {1, 2, 3, 4, 5, 6});
      assertTrue(good.ok(), good.error());
      assertEquals("2", runtime.info().version());
    }
  }

  @Test
  void everyNativeEntryChecksItsArgumentsBeforeTouchingAnArray() throws Exception {
    NativeLibraryLoader.ensureLoaded();  // as SharedRuntime does before its first native call
    byte[] probe = Files.readAllBytes(PROBE);
    RuntimeOptions options = ONE;
    assertEquals(TfjsException.Kind.BUNDLE_READ, kindOf(() -> NativeRuntime.start(null, "x.js", options)));
    assertEquals(TfjsException.Kind.INTERNAL, kindOf(() -> NativeRuntime.start(probe, "x.js", null)));
    assertEquals(TfjsException.Kind.INTERNAL, kindOf(() -> NativeRuntime.startWatching(null, options)));
    assertEquals(TfjsException.Kind.INTERNAL, kindOf(() -> NativeRuntime.resolveRuntimeOptions(null)));
    assertEquals(TfjsException.Kind.INTERNAL, kindOf(() -> NativeRuntime.resolveWatchOptions(null)));

    long h = NativeRuntime.start(probe, "probe.js", options);
    try {
      float[] row = {1, 2, 3};
      for (Executable call : new Executable[] {
          () -> NativeRuntime.predict(h, null, 1, 3),
          () -> NativeRuntime.predict(h, new float[2], 1, 3),
          () -> NativeRuntime.predict(h, row, -1, -3),
          () -> NativeRuntime.predict(h, row, Integer.MAX_VALUE, 2),  // overflows an int: 2^32 - 2
          () -> NativeRuntime.predictVersioned(h, null, 1, 3),
          () -> NativeRuntime.predictVersioned(h, new float[6], 3, 3),
          () -> NativeRuntime.submit(h, null, 1, 3, new NullSink(), false),
          () -> NativeRuntime.submit(h, new float[1], 1, 3, new NullSink(), true),
          () -> NativeRuntime.benchPredict(h, null, 1, 3, 1),
          () -> NativeRuntime.benchRoundTrip(null, 1, 3, 2),
          () -> NativeRuntime.benchRoundTrip(row, 1, 3, -1)}) {
        assertEquals(TfjsException.Kind.SHAPE, kindOf(call));
      }
      assertEquals(0, NativeRuntime.benchRoundTrip(new float[0], 0, 3, 2).length);
      assertEquals(TfjsException.Kind.INTERNAL, kindOf(() -> NativeRuntime.submit(h, row, 1, 3, null, false)));
      assertEquals(TfjsException.Kind.BUNDLE_READ, kindOf(() -> NativeRuntime.reload(h, null, "o.js", "2", null, null, 1e-4)));
      assertFalse(NativeRuntime.reload(h, probe, null, null, new float[4], null, 1e-4).ok());
      assertEquals(TfjsException.Kind.INTERNAL, kindOf(() -> NativeRuntime.watch(h, null)));
      assertThrows(IllegalArgumentException.class,
          () -> NativeRuntime.watch(h, WatchOptions.of("/x").withPollIntervalMs(0)));
      // Still serving, and no failed call left a callback reference behind.
      assertEquals(6f, NativeRuntime.predict(h, row, 1, 3)[0], 0f);
      assertEquals(0, NativeRuntime.liveCallbacks());
    } finally {
      NativeRuntime.shutdown(h);
    }
    for (Executable call : new Executable[] {
        () -> NativeRuntime.predict(0, new float[3], 1, 3),
        () -> NativeRuntime.info(0),
        () -> NativeRuntime.stats(0),
        () -> NativeRuntime.workers(0),
        () -> NativeRuntime.reload(0, probe, "o.js", "2", null, null, 1e-4)}) {
      assertEquals(TfjsException.Kind.SHUTDOWN, kindOf(call));
    }
    NativeRuntime.shutdown(0);  // nothing to shut down
  }

  @Test
  void anAsyncResultTooBigForTheJavaHeapFailsItsFutureInsteadOfLeavingItPending(@TempDir Path dir) throws Exception {
    // 3 rows x 50M columns: 600 MB, more than this JVM's 512 MiB heap (the isolate's budget allows it).
    Path wide = Fixtures.writeTemp(dir, "wide-output.js", ("globalThis.tfjsRunBundle = {name: 'wide-output', version: '1',"
        + " inputShape: [null, 1], outputShape: [null, 50000000], load() {},"
        + " predict(x, rows) { return new Float32Array(rows * 50000000); }};").getBytes(StandardCharsets.UTF_8));
    try (TfjsRuntime runtime = TfjsRuntime.open(wide, ONE)) {
      CompletableFuture<Prediction> f = runtime.submitVersioned(new float[3], 3);
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
      assertInstanceOf(OutOfMemoryError.class, e.getCause());
      assertEquals(50000000, runtime.predict(new float[1], 1).length);  // still serving
      assertEquals(0, NativeRuntime.liveCallbacks());  // a worker drops its last batch when it takes the next
    }
  }

  /** A sink that is never called: every submit above is refused before it is queued. */
  private static final class NullSink implements ResultSink {
    @Override
    public void ok(float[] values, int rows, int cols, String version, int worker) {
      throw new AssertionError("a refused submit completed");
    }

    @Override
    public void fail(Throwable error) {
      throw new AssertionError("a refused submit failed later: " + error);
    }
  }
}
