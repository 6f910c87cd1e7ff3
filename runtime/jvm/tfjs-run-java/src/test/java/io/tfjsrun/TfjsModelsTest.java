package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Named models served at once from Java (TfjsModels over the C++ ModelSet): each answer is the
 * named bundle's, loads are idempotent, a bad update changes nothing, a removal drains, shared
 * sets are shared and closed by their last holder, stats count what was asked, bad calls throw.
 */
class TfjsModelsTest {
  private static final RuntimeOptions ONE = RuntimeOptions.defaults().withThreads(1);
  private static final float[] ROW = {1, 2, 3};  // the versioned bundle answers [6000 + N, N]

  private static float[][] wine;
  // What each wine bundle answers to `wine` through a plain TfjsRuntime (ParityTest ties those to tfjs).
  private static final Map<String, float[][]> REFERENCE = new HashMap<>();

  @BeforeAll
  static void references() throws Exception {
    wine = Fixtures.wineRows();
    for (String bundle : List.of("wine-layers-cpu", "wine-graph-cpu")) {
      try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle(bundle), ONE)) {
        REFERENCE.put(bundle, runtime.predict(wine));
      }
    }
  }

  private static byte[] bytes(String bundle) throws Exception {
    return Files.readAllBytes(Fixtures.bundle(bundle));
  }

  private static void assertMessageNames(TfjsException e, String... parts) {
    for (String part : parts) assertTrue(e.getMessage().contains(part), e.getMessage() + " names " + part);
  }

  @Test
  void threeModelsServeAtOnceEachAnswerFromItsOwnBundle() throws Exception {
    try (TfjsModels models = TfjsModels.create(ONE)) {
      assertTrue(models.load("layers", bytes("wine-layers-cpu"), "1").ok());
      assertTrue(models.load("graph", bytes("wine-graph-cpu"), "1").ok());
      assertTrue(models.load("versioned", Fixtures.versionedBundle(1, "ok"), "v1").ok());
      assertEquals(List.of("graph", "layers", "versioned"), models.names());
      assertEquals("1", models.version("layers"));
      assertEquals(13, models.info("graph").inputCols());

      int threads = 4;
      int calls = 60;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      Map<String, AtomicLong> made = Map.of("layers", new AtomicLong(), "graph", new AtomicLong(),
          "versioned", new AtomicLong());
      List<Future<?>> callers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        final int thread = t;
        callers.add(pool.submit(() -> {
          for (int i = 0; i < calls; i++) {
            int first = (thread * 7 + i) % (wine.length - 4);
            int n = 1 + i % 4;
            float[][] rows = java.util.Arrays.copyOfRange(wine, first, first + n);
            String bundle = i % 2 == 0 ? "wine-layers-cpu" : "wine-graph-cpu";
            String name = i % 2 == 0 ? "layers" : "graph";
            DenseMatrix out = i % 3 == 0 ? models.submit(name, DenseMatrix.of(rows)).get(60, TimeUnit.SECONDS)
                : models.predict(name, DenseMatrix.of(rows));
            made.get(name).incrementAndGet();
            for (int r = 0; r < n; r++) {
              assertArrayEquals(REFERENCE.get(bundle)[first + r], out.row(r), 1e-5f, name + " row " + (first + r));
            }
            Prediction p = models.predictVersioned("versioned", ROW, 1);
            made.get("versioned").incrementAndGet();
            assertArrayEquals(new float[] {6001, 1}, p.values(), 0f);
            assertEquals("v1", p.version());
          }
          return null;
        }));
      }
      for (Future<?> f : callers) f.get(120, TimeUnit.SECONDS);
      pool.shutdown();

      // Stats and the exposition count exactly the requests made, per model.
      List<ModelStats> all = models.stats();
      assertEquals(3, all.size());
      String text = models.prometheusText();
      for (ModelStats s : all) {
        long requests = made.get(s.name).get();
        assertEquals(requests, s.usage, s.toString());
        assertEquals(0, s.errors);
        assertTrue(s.durationMinMillis > 0 && s.durationMinMillis <= s.durationMaxMillis, s.toString());
        assertTrue(s.durationSumMillis >= s.durationMaxMillis, s.toString());
        assertTrue(s.sinceMillis > 0 && s.versionSinceMillis >= s.sinceMillis, s.toString());
        assertEquals(models.version(s.name), s.version);
        assertTrue(s.description.contains(s.version), s.description);
        assertEquals(requests, s.runtime.workers.get(0).requests, s.runtime.toString());
        assertTrue(text.contains("tfjs_run_requests_total{model=\"" + s.name + "\"} " + requests + "\n"), text);
      }
      assertEquals(calls * threads / 2, models.stats("layers").usage);
      assertEquals(0, NativeRuntime.liveCallbacks());
    }
  }

  @Test
  void eachModelRunsWithTheOptionsItWasAddedWith(@TempDir Path dir) throws Exception {
    Path published = dir.resolve("published");
    Fixtures.publishVersioned(dir, 1, published);
    try (TfjsModels models = TfjsModels.create(ONE)) {
      assertTrue(models.load("one", bytes("wine-layers-cpu"), "1").ok());  // the set's defaults: one worker
      assertTrue(models.load("two", bytes("wine-graph-cpu"), "1", ONE.withThreads(2)).ok());
      models.addWatching("watched", WatchOptions.of(published.toString()), ONE.withThreads(3));

      Map<String, Integer> workers = Map.of("one", 1, "two", 2, "watched", 3);
      for (ModelStats s : models.stats()) {
        assertEquals(workers.get(s.name), s.runtime.workers.size(), s.name + ": " + s.runtime);
      }
      // Requests queued for both at once: each model answers with its own bundle, on its own workers.
      List<CompletableFuture<DenseMatrix>> one = new ArrayList<>();
      List<CompletableFuture<DenseMatrix>> two = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        one.add(models.submit("one", DenseMatrix.of(wine)));
        two.add(models.submit("two", DenseMatrix.of(wine)));
      }
      for (int i = 0; i < 50; i++) {
        DenseMatrix a = one.get(i).get(60, TimeUnit.SECONDS);
        DenseMatrix b = two.get(i).get(60, TimeUnit.SECONDS);
        for (int r = 0; r < wine.length; r++) {
          assertArrayEquals(REFERENCE.get("wine-layers-cpu")[r], a.row(r), 1e-5f, "one, row " + r);
          assertArrayEquals(REFERENCE.get("wine-graph-cpu")[r], b.row(r), 1e-5f, "two, row " + r);
        }
      }
      Prediction watched = models.predictVersioned("watched", ROW, 1);
      assertArrayEquals(new float[] {6001, 1}, watched.values(), 0f);
      assertEquals("v1", watched.version());
      long answered = 0;
      for (RuntimeStats.WorkerStats w : models.stats("two").runtime.workers) answered += w.requests;
      assertEquals(50, answered, models.stats("two").runtime.toString());

      // An update keeps the options the model was added with (a runtime's workers are fixed).
      assertTrue(models.load("two", bytes("wine-layers-cpu"), "2", ONE).ok());
      assertEquals(2, models.stats("two").runtime.workers.size());
      assertArrayEquals(REFERENCE.get("wine-layers-cpu")[0], models.predict("two", wine[0], 1), 1e-5f);
    }
  }

  @Test
  void aBadOptionForOneModelIsRefusedNamingItAndTheOthersServe() throws Exception {
    try (TfjsModels models = TfjsModels.create(ONE)) {
      assertTrue(models.load("good", Fixtures.versionedBundle(1, "ok"), "v1").ok());

      IllegalArgumentException load = assertThrows(IllegalArgumentException.class,
          () -> models.load("bad", Fixtures.versionedBundle(2, "ok"), "v2", ONE.withMaxBatchRows(0)));
      assertTrue(load.getMessage().contains("model 'bad'") && load.getMessage().contains("maxBatchRows"),
          load.getMessage());
      IllegalArgumentException watch = assertThrows(IllegalArgumentException.class,
          () -> models.addWatching("bad", WatchOptions.of("/nowhere"), ONE.withThreads(-1)));
      assertTrue(watch.getMessage().contains("model 'bad'") && watch.getMessage().contains("threads"),
          watch.getMessage());

      assertEquals(List.of("good"), models.names());
      assertArrayEquals(new float[] {6001, 1}, models.predict("good", ROW, 1), 0f);
      assertEquals(0, models.stats("good").errors);
      // The name is free: the same model with options in range is added.
      assertTrue(models.load("bad", Fixtures.versionedBundle(2, "ok"), "v2", ONE.withMaxBatchRows(1)).ok());
      assertArrayEquals(new float[] {6002, 2}, models.predict("bad", ROW, 1), 0f);
    }
  }

  @Test
  void loadIsIdempotentAndUpdatesToANewVersion() throws Exception {
    try (TfjsModels a = TfjsModels.create(ONE)) {
      byte[] v1 = Fixtures.versionedBundle(1, "ok");
      assertTrue(a.load("m", v1, "v1").ok());
      // Every subtask applies the same broadcast update: the same version from the same bytes is a no-op.
      ReloadResult again = a.load("m", v1.clone(), "v1");
      assertTrue(again.ok(), again.toString());
      assertEquals("v1", again.version());
      assertEquals(0, a.stats("m").runtime.reloadsOk);

      // A new version, with its answers checked: all workers switch.
      byte[] v2 = Fixtures.versionedBundle(2, "ok");
      ReloadResult r = a.load("m", v2, "update", "v2", ROW, new float[] {6002, 2}, 1e-6);
      assertTrue(r.ok(), r.toString());
      assertEquals("v2", a.version("m"));
      assertArrayEquals(new float[] {6002, 2}, a.predict("m", ROW, 1), 0f);
      assertTrue(a.load("m", v2, "v2").ok());
      assertTrue(a.load("m", v2, "").ok());  // "": whatever it declares, which it serves
      assertEquals(1, a.stats("m").runtime.reloadsOk);

      // Other bytes under the serving version's name are not the same update: they go to the runtime.
      a.load("m", v1, "v2");
      RuntimeStats stats = a.stats("m").runtime;
      assertEquals(2, stats.reloadsOk + stats.reloadsFailed, stats.toString());
    }
  }

  @Test
  void aBadUpdateLeavesTheServingVersionAndNamesModelAndVersion() throws Exception {
    try (TfjsModels models = TfjsModels.create(ONE)) {
      assertTrue(models.load("m", Fixtures.versionedBundle(2, "ok"), "v2").ok());

      ReloadResult throwsAtLoad = models.load("m", Fixtures.versionedBundle(3, "load-throws"), "v3");
      assertFalse(throwsAtLoad.ok());
      assertTrue(throwsAtLoad.error().contains("model 'm'") && throwsAtLoad.error().contains("v3"), throwsAtLoad.error());

      ReloadResult wrongAnswers = models.load("m", Fixtures.versionedBundle(4, "ok"), "update", "v4", ROW,
          new float[] {6002, 2}, 1e-6);
      assertFalse(wrongAnswers.ok());
      assertTrue(wrongAnswers.error().contains("model 'm'") && wrongAnswers.error().contains("v4"), wrongAnswers.error());

      assertEquals("v2", models.version("m"));
      assertArrayEquals(new float[] {6002, 2}, models.predict("m", ROW, 1), 0f);
      assertEquals(2, models.stats("m").runtime.reloadsFailed);

      // A model that fails its first load, or its first answers, is not added.
      ReloadResult absent = models.load("fresh", Fixtures.versionedBundle(5, "load-throws"), "v5");
      assertFalse(absent.ok());
      assertTrue(absent.error().contains("model 'fresh' version v5"), absent.error());
      ReloadResult wrongFirst = models.load("fresh", Fixtures.versionedBundle(6, "ok"), "first", "v6", ROW,
          new float[] {0, 0}, 1e-6);
      assertFalse(wrongFirst.ok());
      assertTrue(wrongFirst.error().contains("model 'fresh' version v6"), wrongFirst.error());
      assertFalse(models.contains("fresh"));
      assertEquals(List.of("m"), models.names());
      // Then a good one is added.
      assertTrue(models.load("fresh", Fixtures.versionedBundle(6, "ok"), "first", "v6", ROW, new float[] {6006, 6},
          1e-6).ok());
      assertEquals("v6", models.version("fresh"));
    }
  }

  @Test
  void theLastCloseDuringASlowUpdateReturnsWithin2sAndAnswersTheRequestsInFlight() throws Exception {
    // Version 2's load() busy-loops for 30 s under a 120 s load deadline; the last close() abandons it.
    TfjsModels models = TfjsModels.create(ONE.withLoadTimeoutMs(120000));
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      assertTrue(models.load("m", Fixtures.versionedBundle(1, "ok"), "v1").ok());
      Future<ReloadResult> update = pool.submit(() -> models.load("m", Fixtures.versionedBundle(2, "loads-slowly"), "v2"));
      Thread.sleep(1000);  // the load is looping
      assertFalse(update.isDone(), "version 2 finished loading: the test checked nothing");
      CompletableFuture<Prediction> inFlight = models.submitVersioned("m", ROW, 1);
      long start = System.nanoTime();
      models.close();
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(seconds < 2.0, "close() took " + seconds + " s");
      ReloadResult r = update.get(5, TimeUnit.SECONDS);
      assertFalse(r.ok(), r.toString());
      assertTrue(r.error().contains("abandoned"), r.error());
      assertTrue(r.error().contains("'m'"), r.error());
      Prediction p = inFlight.get(5, TimeUnit.SECONDS);
      assertEquals("v1", p.version());
      assertArrayEquals(new float[] {6001, 1}, p.values(), 0f);
    } finally {
      pool.shutdownNow();
      models.close();
    }
  }

  @Test
  void removeAnswersEverySubmitItAcceptedFirst() throws Exception {
    try (TfjsModels models = TfjsModels.create(ONE)) {
      assertTrue(models.load("gone", bytes("wine-layers-cpu"), "1").ok());
      assertTrue(models.load("stays", Fixtures.versionedBundle(1, "ok"), "v1").ok());
      // Every wine row, 200 times: a queue that takes a while to drain on one worker.
      List<CompletableFuture<DenseMatrix>> inFlight = new ArrayList<>();
      for (int i = 0; i < 200; i++) inFlight.add(models.submit("gone", DenseMatrix.of(wine)));
      models.remove("gone");
      for (CompletableFuture<DenseMatrix> f : inFlight) {
        assertTrue(f.isDone(), "answered before remove returned");
        DenseMatrix out = f.get();
        for (int r = 0; r < wine.length; r++) assertArrayEquals(REFERENCE.get("wine-layers-cpu")[r], out.row(r), 1e-5f);
      }
      assertFalse(models.contains("gone"));
      TfjsException after = assertThrows(TfjsException.class, () -> models.predict("gone", DenseMatrix.of(wine)));
      assertEquals(TfjsException.Kind.CONTRACT, after.kind());
      assertMessageNames(after, "gone");
      assertArrayEquals(new float[] {6001, 1}, models.predict("stays", ROW, 1), 0f);
      assertEquals(0, NativeRuntime.liveCallbacks());
      // A name removed can be loaded again, afresh.
      assertTrue(models.load("gone", bytes("wine-graph-cpu"), "2").ok());
      assertArrayEquals(REFERENCE.get("wine-graph-cpu")[0], models.predict("gone", wine[0], 1), 1e-5f);
    }
  }

  @Test
  void unknownModelsAreContractErrorsNamingThem() {
    try (TfjsModels models = TfjsModels.create(ONE)) {
      assertFalse(models.contains("nope"));
      assertEquals(List.of(), models.names());
      for (Executable call : List.<Executable>of(() -> models.predict("nope", ROW, 1), () -> models.info("nope"),
          () -> models.version("nope"), () -> models.stats("nope"), () -> models.remove("nope"),
          () -> models.submit("nope", ROW, 1), () -> models.trySubmit("nope", ROW, 1))) {
        TfjsException e = assertThrows(TfjsException.class, call);
        assertEquals(TfjsException.Kind.CONTRACT, e.kind());
        assertMessageNames(e, "nope");
      }
      assertEquals(List.of(), models.stats());
      assertEquals("", models.prometheusText().replaceAll("(?m)^#.*\n", ""));
    }
  }

  @Test
  void sharedSetsAreOnePerNameAndTheLastHolderClosesThem() throws Exception {
    int before = SharedModelSet.liveSets();
    TfjsModels a = TfjsModels.shared("scoring", ONE);
    TfjsModels b = TfjsModels.shared("scoring", RuntimeOptions.defaults().withThreads(1));
    TfjsModels other = TfjsModels.shared("other", ONE);
    try {
      assertEquals(before + 2, SharedModelSet.liveSets());
      assertEquals(2, a.sharedBy());
      byte[] v1 = Fixtures.versionedBundle(1, "ok");
      assertTrue(a.load("m", v1, "v1").ok());
      assertTrue(b.contains("m"));
      assertFalse(other.contains("m"));
      // The same update from the other holder is a no-op: one load.
      assertTrue(b.load("m", v1, "v1").ok());
      assertEquals(0, b.stats("m").runtime.reloadsOk);
      assertThrows(IllegalArgumentException.class, () -> TfjsModels.shared("scoring", RuntimeOptions.defaults().withThreads(2)));

      a.close();
      a.close();  // idempotent
      assertEquals(TfjsException.Kind.SHUTDOWN, assertThrows(TfjsException.class, () -> a.predict("m", ROW, 1)).kind());
      assertArrayEquals(new float[] {6001, 1}, b.predict("m", ROW, 1), 0f);
      b.close();
      assertEquals(before + 1, SharedModelSet.liveSets());
      try (TfjsModels again = TfjsModels.shared("scoring", ONE)) {
        assertEquals(List.of(), again.names());  // a new set: the last holder closed the old one
      }
    } finally {
      a.close();
      b.close();
      other.close();
    }
    assertEquals(before, SharedModelSet.liveSets());
  }

  @Test
  void hostileCallsThrowAndNeverCrash(@TempDir Path dir) throws Exception {
    try (TfjsModels models = TfjsModels.create(ONE)) {
      assertTrue(models.load("m", Fixtures.versionedBundle(1, "ok"), "v1").ok());
      Map<Executable, TfjsException.Kind> calls = new java.util.LinkedHashMap<>();
      calls.put(() -> models.predict("m", (float[]) null, 1), TfjsException.Kind.SHAPE);
      calls.put(() -> models.predict("m", (DenseMatrix) null), TfjsException.Kind.SHAPE);
      calls.put(() -> models.predict("m", new float[7], 2), TfjsException.Kind.SHAPE);
      calls.put(() -> models.predict("m", new float[3], -1), TfjsException.Kind.SHAPE);
      calls.put(() -> models.predict("m", new float[13], 1), TfjsException.Kind.SHAPE);  // not its width
      calls.put(() -> models.submit("m", new float[4], 1), TfjsException.Kind.SHAPE);
      calls.put(() -> models.trySubmit("m", (DenseMatrix) null), TfjsException.Kind.SHAPE);
      calls.put(() -> models.predict(null, ROW, 1), TfjsException.Kind.CONTRACT);
      calls.put(() -> models.stats(null), TfjsException.Kind.CONTRACT);
      calls.put(() -> models.remove(null), TfjsException.Kind.CONTRACT);
      calls.put(() -> models.load(null, new byte[1], "v"), TfjsException.Kind.CONTRACT);
      calls.put(() -> models.load("", new byte[1], "v"), TfjsException.Kind.CONTRACT);
      calls.put(() -> models.load("a b", new byte[1], "v"), TfjsException.Kind.CONTRACT);
      calls.put(() -> models.load("..", new byte[1], "v"), TfjsException.Kind.CONTRACT);  // a directory name
      calls.put(() -> models.load(".", new byte[1], "v"), TfjsException.Kind.CONTRACT);
      calls.put(() -> models.load("m", (byte[]) null, "v"), TfjsException.Kind.BUNDLE_READ);
      calls.put(() -> models.addWatching("w", null), TfjsException.Kind.INTERNAL);
      for (Map.Entry<Executable, TfjsException.Kind> call : calls.entrySet()) {
        TfjsException e = assertThrows(TfjsException.class, call.getKey());
        assertEquals(call.getValue(), e.kind(), e.getMessage());
      }
      assertFalse(models.contains(null));
      ReloadResult missing = models.load("m", dir.resolve("missing.js"), "v9");
      assertFalse(missing.ok());
      assertTrue(missing.error().contains("model 'm' version v9"), missing.error());
      ReloadResult garbage = models.load("m", "not javascript (".getBytes(), "v9");
      assertFalse(garbage.ok());
      // Still serving, untouched.
      assertArrayEquals(new float[] {6001, 1}, models.predict("m", ROW, 1), 0f);
      assertEquals("v1", models.version("m"));
      models.close();
      assertEquals(TfjsException.Kind.SHUTDOWN, assertThrows(TfjsException.class, () -> models.names()).kind());
    }
  }
}
