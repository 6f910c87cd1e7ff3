package io.tfjsrun.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.RuntimeStats;
import io.tfjsrun.TfjsRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The RichAsyncFunction, run as AsyncDataStream runs it: capacity, timeouts, ordered and unordered. */
class TfjsAsyncFunctionTest {
  static final RuntimeOptions TWO = RuntimeOptions.defaults().withThreads(2);

  private static List<float[]> manyRows(float[][] rows, int n) {
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(rows[i % rows.length]);
    return out;
  }

  @Test
  void orderedWaitAnswersEveryRecordInInputOrderAndFillsBatches() throws Exception {
    float[][] rows = Fixtures.wineRows();
    float[][] expected = TfjsMapFunctionTest.reference("wine-layers-wasm", rows);
    List<float[]> input = manyRows(rows, 20000);
    TfjsModel model = TfjsModel.bundle(Fixtures.bundle("wine-layers-wasm").toString()).withOptions(TWO);
    FlinkHarness.AsyncOptions options = new FlinkHarness.AsyncOptions();
    options.capacity = 256;
    TfjsAsyncFunction<float[], float[]> fn = TfjsAsyncFunction.rows(model);
    FlinkHarness.Run<float[]> run;
    RuntimeStats stats;
    try (TfjsRuntime observer = model.open()) {  // keeps the shared runtime (and its stats) alive
      run = FlinkHarness.async(fn, input, 2, options);
      stats = observer.stats();
    }
    assertEquals(0, run.failures());
    for (int i = 0; i < input.size(); i++) assertArrayEquals(expected[i % rows.length], run.outputs.get(i), 0f, "record " + i);
    for (int s = 0; s < 2; s++) {
      List<Integer> order = run.emitted.get(s);
      assertEquals(10000, order.size());
      for (int k = 1; k < order.size(); k++) assertTrue(order.get(k) > order.get(k - 1), "ordered output");
    }
    // With 256 records in flight per subtask, one record per asyncInvoke, the batches fill up.
    double meanBatch = (double) stats.totalRows() / stats.workers.stream().mapToLong(w -> w.batches).sum();
    assertTrue(meanBatch > 8, "mean rows per predict call: " + meanBatch + " " + stats);
  }

  @Test
  void unorderedWaitBatchesAcrossSubtasksAndBackpressuresOnAFullQueue() throws Exception {
    float[][] rows = Fixtures.wineRows();
    float[][] expected = TfjsMapFunctionTest.reference("wine-layers-cpu", rows);
    List<float[]> input = manyRows(rows, 20000);
    // A queue of 64 rows under 2 x 256 records in flight: trySubmit is refused, asyncInvoke waits.
    RuntimeOptions small = TWO.withMaxQueueRows(64);
    TfjsModel model = TfjsModel.bundle(Fixtures.bundle("wine-layers-cpu").toString()).withOptions(small);
    FlinkHarness.AsyncOptions options = new FlinkHarness.AsyncOptions();
    options.ordered = false;
    options.capacity = 256;
    List<RuntimeStats> stats = new ArrayList<>();
    // Hold one extra handle so the runtime's stats outlive the subtasks.
    try (TfjsRuntime observer = model.open()) {
      FlinkHarness.Run<float[]> run = FlinkHarness.async(TfjsAsyncFunction.rows(model), input, 2, options);
      assertEquals(0, run.failures());
      for (int i = 0; i < input.size(); i++) assertArrayEquals(expected[i % rows.length], run.outputs.get(i), 0f);
      stats.add(observer.stats());
      List<Integer> all = new ArrayList<>(run.emitted.get(0));
      all.addAll(run.emitted.get(1));
      assertEquals(20000, all.size());
      assertEquals(20000, all.stream().distinct().count());
    }
    RuntimeStats s = stats.get(0);
    assertTrue(s.rejectedOverloaded > 0, "the full queue refused trySubmit: " + s);
    assertTrue(s.maxQueueRowsSeen <= 64, "the queue stayed bounded: " + s);
    double meanBatch = (double) s.totalRows() / s.workers.stream().mapToLong(w -> w.batches).sum();
    assertTrue(meanBatch > 4, "records of both subtasks batched: " + meanBatch);
  }

  @Test
  void flinksTimeoutFailsTheRecordNamingTheBundleAndALateResultIsDropped() throws Exception {
    Path slow = Path.of(getClass().getResource("/slow-bundle.js").toURI());
    TfjsModel model = TfjsModel.bundle(slow.toString()).withOptions(RuntimeOptions.defaults().withThreads(1));
    FlinkHarness.AsyncOptions options = new FlinkHarness.AsyncOptions();
    options.timeoutMs = 100;  // each predict takes 300 ms
    options.capacity = 4;
    List<float[]> input = List.of(new float[] {1, 2, 3}, new float[] {4, 5, 6});
    FlinkHarness.Run<float[]> run = FlinkHarness.async(TfjsAsyncFunction.rows(model), input, 1, options);
    // The harness fails the run if a record completed twice (the late prediction).
    for (int i = 0; i < 2; i++) {
      TimeoutException e = assertInstanceOf(TimeoutException.class, run.errors.get(i));
      assertTrue(e.getMessage().contains("bundle 'slow' version s1"), e.getMessage());
    }
  }

  @Test
  void closeWithRecordsInFlightCompletesEveryRecord() throws Exception {
    float[][] rows = Fixtures.wineRows();
    float[][] expected = TfjsMapFunctionTest.reference("wine-layers-cpu", rows);
    List<float[]> input = manyRows(rows, 6000);
    TfjsModel model = TfjsModel.bundle(Fixtures.bundle("wine-layers-cpu").toString()).withOptions(TWO);
    FlinkHarness.AsyncOptions options = new FlinkHarness.AsyncOptions();
    options.capacity = 1000;
    options.closeWithRecordsInFlight = true;
    FlinkHarness.Run<float[]> run = FlinkHarness.async(TfjsAsyncFunction.rows(model), input, 3, options);
    assertEquals(0, run.failures());
    IntStream.range(0, input.size()).forEach(i -> assertArrayEquals(expected[i % rows.length], run.outputs.get(i), 0f));
    assertNotEquals(0, input.size());
  }
}
