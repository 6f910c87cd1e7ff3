package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every kind of failure reaches Java as a TfjsException of that kind, and the JVM lives on. */
class ErrorKindsTest {
  private static final RuntimeOptions ONE = RuntimeOptions.defaults().withThreads(1).withLoadTimeoutMs(500);

  @ParameterizedTest
  @CsvSource({
      "syntax-error.js, BUNDLE_COMPILE",
      "load-throws.js, BUNDLE_LOAD",
      "top-level-throws.js, BUNDLE_LOAD",
      "load-never-resolves.js, LOAD_TIMEOUT",
      "load-busy-loop.js, LOAD_TIMEOUT",
      "no-contract.js, CONTRACT",
      "backend-mismatch.js, BACKEND"})
  void aBundleThatCannotLoadThrowsItsKind(String file, TfjsException.Kind kind) {
    Path bundle = Fixtures.sourceFile("tests/fixtures/bad/" + file);
    TfjsException e = assertThrows(TfjsException.class, () -> TfjsRuntime.open(bundle, ONE).close());
    assertEquals(kind, e.kind(), e.getMessage());
    assertTrue(e.kind().isLoadFailure());
    assertTrue(e.getMessage().contains(kind.label() + " error"), e.getMessage());
  }

  @Test
  void aMissingFileIsBundleRead() {
    TfjsException e = assertThrows(TfjsException.class,
        () -> TfjsRuntime.open(Path.of("/nonexistent/ml.bundle.js")));
    assertEquals(TfjsException.Kind.BUNDLE_READ, e.kind());
    assertTrue(e.getMessage().contains("/nonexistent/ml.bundle.js"), e.getMessage());
  }

  @Test
  void badInputIsShapeAndNeverReachesTheBundle() throws Exception {
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("wine-layers-cpu"), ONE)) {
      float[] row = Fixtures.wineRows()[0];
      TfjsException wrongWidth = assertThrows(TfjsException.class, () -> runtime.predict(new float[12], 1));
      assertEquals(TfjsException.Kind.SHAPE, wrongWidth.kind());
      assertTrue(wrongWidth.getMessage().contains("12 columns") && wrongWidth.getMessage().contains("13"),
          wrongWidth.getMessage());
      assertEquals("wine-layers-cpu", wrongWidth.bundleName());
      assertEquals("test-1", wrongWidth.bundleVersion());
      assertEquals(TfjsException.Kind.SHAPE, assertThrows(TfjsException.class, () -> runtime.predict(new float[27], 2)).kind());
      assertEquals(TfjsException.Kind.SHAPE, assertThrows(TfjsException.class, () -> runtime.predict((float[]) null, 1)).kind());
      assertEquals(TfjsException.Kind.SHAPE, assertThrows(TfjsException.class, () -> runtime.predict(row, -1)).kind());
      assertEquals(TfjsException.Kind.SHAPE, assertThrows(TfjsException.class, () -> runtime.submit(new float[14], 1)).kind());
      assertEquals(TfjsException.Kind.SHAPE,
          assertThrows(TfjsException.class, () -> runtime.predict(new float[][] {row, new float[3]})).kind());
      assertEquals(0, runtime.predict(new float[0], 0).length);
      // Still serving.
      assertEquals(3, runtime.predict(row, 1).length);
    }
  }

  @Test
  void aThrowingPredictKeepsTheJsMessageStackNameAndVersionSyncAndAsync() throws Exception {
    Path probe = Fixtures.sourceFile("tests/fixtures/probe.js");
    try (TfjsRuntime runtime = TfjsRuntime.open(probe, ONE)) {
      float[] unlucky = {13, 1, 1};
      TfjsException e = assertThrows(TfjsException.class, () -> runtime.predict(unlucky, 1));
      assertEquals(TfjsException.Kind.PREDICT, e.kind());
      assertTrue(e.jsMessage().contains("unlucky row 0"), e.jsMessage());
      assertTrue(e.jsStack().contains("predict"), e.jsStack());
      assertEquals("probe", e.bundleName());
      assertEquals("1.0.0", e.bundleVersion());
      assertTrue(e.getMessage().startsWith("bundle 'probe' version 1.0.0: predict error:"), e.getMessage());

      CompletableFuture<Prediction> failed = runtime.submitVersioned(unlucky, 1);
      ExecutionException ee = assertThrows(ExecutionException.class, failed::get);
      TfjsException async = assertInstanceOf(TfjsException.class, ee.getCause());
      assertEquals(TfjsException.Kind.PREDICT, async.kind());
      assertTrue(async.jsMessage().contains("unlucky row 0"));
      // The next good call works.
      assertEquals(6f, runtime.predict(new float[] {1, 2, 3}, 1)[0], 0f);
    }
  }

  @Test
  void aPredictPastItsDeadlineIsTimeoutTheRuntimeReplacesTheIsolateAndGoesOn() throws Exception {
    RuntimeOptions deadline = RuntimeOptions.defaults().withThreads(1).withPredictTimeoutMs(300);
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.sourceFile("tests/fixtures/hostile/predict-loops.js"), deadline)) {
      long start = System.nanoTime();
      TfjsException e = assertThrows(TfjsException.class, () -> runtime.predict(new float[] {13, 0, 0}, 1));
      assertEquals(TfjsException.Kind.TIMEOUT, e.kind(), e.getMessage());
      assertEquals("predict-loops", e.bundleName());
      assertEquals("7", e.bundleVersion());
      assertTrue((System.nanoTime() - start) / 1e9 < 10, "terminated at the deadline, not hung");
      ExecutionException async = assertThrows(ExecutionException.class, () -> runtime.submit(new float[] {13, 0, 0}, 1).get());
      assertEquals(TfjsException.Kind.TIMEOUT, ((TfjsException) async.getCause()).kind());
      assertEquals(6f, runtime.predict(new float[] {1, 2, 3}, 1)[0], 0f);
      assertEquals(4, runtime.stats().workers.get(0).recycles, "two isolates per poisoned request");
    }
  }

  @Test
  void memoryPastTheBudgetIsMemoryTheRuntimeReplacesTheIsolateAndGoesOn() {
    RuntimeOptions budget = RuntimeOptions.defaults().withThreads(1).withMaxHeapMb(64).withMaxBufferMb(128);
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.sourceFile("tests/fixtures/hostile/memory-bombs.js"), budget)) {
      for (float bomb : new float[] {22, 23, 24}) {
        TfjsException e = assertThrows(TfjsException.class, () -> runtime.predict(new float[] {bomb, 0, 0}, 1));
        assertEquals(TfjsException.Kind.MEMORY, e.kind(), e.getMessage());
        assertEquals("memory-bombs", e.bundleName());
        assertEquals(6f, runtime.predict(new float[] {1, 2, 3}, 1)[0], 0f);
      }
      assertTrue(runtime.stats().workers.get(0).recycles >= 3);
    }
  }

  @Test
  void aWrongLengthResultIsOutput() {
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.sourceFile("tests/fixtures/bad/wrong-length.js"), ONE)) {
      TfjsException e = assertThrows(TfjsException.class, () -> runtime.predict(new float[] {1, 2}, 1));
      assertEquals(TfjsException.Kind.OUTPUT, e.kind());
      assertEquals("wrong-length", e.bundleName());
    }
  }

  @Test
  void trySubmitFailsFastWhenTheQueueIsFullAndEveryAcceptedRequestCompletes() throws Exception {
    float[][] rows = Fixtures.wineRows();
    RuntimeOptions tiny = ONE.withMaxQueueRows(4).withMaxBatchRows(1);
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("wine-layers-cpu"), tiny)) {
      float[][] expected = runtime.predict(rows);
      List<CompletableFuture<Prediction>> accepted = new ArrayList<>();
      List<Integer> acceptedRows = new ArrayList<>();
      int refused = 0;
      for (int i = 0; i < 3000; i++) {
        try {
          accepted.add(runtime.trySubmit(rows[i % rows.length], 1));
          acceptedRows.add(i % rows.length);
        } catch (TfjsException e) {
          assertEquals(TfjsException.Kind.OVERLOADED, e.kind(), e.getMessage());
          assertTrue(e.getMessage().contains("queue full"), e.getMessage());
          refused++;
        }
      }
      assertTrue(refused > 0, "a 4-row queue refused some of 3000 back-to-back requests");
      for (int i = 0; i < accepted.size(); i++) {
        assertArrayEquals(expected[acceptedRows.get(i)], accepted.get(i).get().values(), 0f);
      }
      assertEquals(refused, runtime.stats().rejectedOverloaded);
      assertEquals(3000, accepted.size() + refused);
    }
  }

  /**
   * The kinds cross JNI by name: every name the C++ runtime gives (runtime/src/error.cc's
   * ErrorKindName) is a Java kind's label, and back; an unknown name is INTERNAL and says so.
   */
  @Test
  void everyNativeKindNameIsAJavaKind() throws Exception {
    String source = java.nio.file.Files.readString(Fixtures.sourceFile("runtime/src/error.cc"));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("case ErrorKind::k\\w+: return \"([a-z-]+)\";").matcher(source);
    java.util.Set<String> names = new java.util.TreeSet<>();
    while (m.find()) names.add(m.group(1));
    java.util.Set<String> labels = new java.util.TreeSet<>();
    for (TfjsException.Kind k : TfjsException.Kind.values()) {
      labels.add(k.label());
      assertEquals(k, TfjsException.Kind.fromLabel(k.label()));
    }
    assertEquals(labels, names, "the C++ and Java kinds");
    TfjsException unknown = new TfjsException("brand-new", "boom", "", "b", "1");
    assertEquals(TfjsException.Kind.INTERNAL, unknown.kind());
    assertTrue(unknown.jsMessage().startsWith("(native error kind 'brand-new') boom"), unknown.jsMessage());
  }
}
