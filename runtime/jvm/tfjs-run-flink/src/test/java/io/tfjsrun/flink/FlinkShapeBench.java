package io.tfjsrun.flink;

import io.tfjsrun.Fixtures;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;

/**
 * Rows/s of the Flink shapes, one record per call, P subtasks sharing the runtime (a worker per
 * core), each shape timed for a fixed time after a warm-up, alternated rep by rep:
 *   map-nobatch  TfjsMapFunction, the runtime's batching off (max batch rows 1)
 *   map          TfjsMapFunction, batching on (the default)
 *   async        TfjsAsyncFunction with 256 records in flight per subtask
 *   legacy       the tf.js-on-flink shape: a tf.js-on-flink bundle (global predict(number[][]),
 *                every value converted into a JS array element by element), one record per call,
 *                one thread, one isolate
 * Run by tools/bench-jvm.sh.
 *
 *   FlinkShapeBench V1_BUNDLE LEGACY_BUNDLE ROWS_CSV [P] [SECONDS] [REPS]
 */
public final class FlinkShapeBench {
  private FlinkShapeBench() {}

  static List<float[]> input;

  /** Calls map() on P threads for `seconds`; returns rows/s. */
  static double runMap(TfjsModel model, int parallelism, double seconds) throws Exception {
    List<Thread> threads = new ArrayList<>();
    AtomicLong records = new AtomicLong();
    CountDownLatch opened = new CountDownLatch(parallelism);
    long[] window = new long[2];
    List<TfjsMapFunction<float[], float[]>> fns = new ArrayList<>();
    for (int s = 0; s < parallelism; s++) {
      TfjsMapFunction<float[], float[]> fn = FlinkHarness.shipped(TfjsMapFunction.rows(model));
      fn.setRuntimeContext(new FlinkHarness.Context(s, parallelism));
      fns.add(fn);
    }
    for (TfjsMapFunction<float[], float[]> fn : fns) fn.open(DefaultOpenContext.INSTANCE);
    window[0] = System.nanoTime();
    window[1] = window[0] + (long) (seconds * 1e9);
    for (int s = 0; s < parallelism; s++) {
      final TfjsMapFunction<float[], float[]> fn = fns.get(s);
      final int offset = s;
      Thread t = new Thread(() -> {
        long n = 0;
        try {
          for (int i = offset; System.nanoTime() < window[1]; i++) {
            fn.map(input.get(i % input.size()));
            n++;
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
        records.addAndGet(n);
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) t.join();
    double rate = records.get() / ((System.nanoTime() - window[0]) / 1e9);
    for (TfjsMapFunction<float[], float[]> fn : fns) fn.close();
    return rate;
  }

  /** asyncInvoke() on P threads, `inFlight` records in flight each, for `seconds`; returns rows/s. */
  static double runAsync(TfjsModel model, int parallelism, int inFlight, double seconds) throws Exception {
    List<TfjsAsyncFunction<float[], float[]>> fns = new ArrayList<>();
    for (int s = 0; s < parallelism; s++) {
      TfjsAsyncFunction<float[], float[]> fn = FlinkHarness.shipped(TfjsAsyncFunction.rows(model));
      fn.setRuntimeContext(new FlinkHarness.Context(s, parallelism));
      fns.add(fn);
    }
    for (TfjsAsyncFunction<float[], float[]> fn : fns) fn.open(DefaultOpenContext.INSTANCE);
    AtomicLong records = new AtomicLong();
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    List<Thread> threads = new ArrayList<>();
    for (int s = 0; s < parallelism; s++) {
      final TfjsAsyncFunction<float[], float[]> fn = fns.get(s);
      final int offset = s;
      Thread t = new Thread(() -> {
        Semaphore capacity = new Semaphore(inFlight);
        try {
          for (int i = offset; System.nanoTime() < end; i++) {
            capacity.acquire();
            fn.asyncInvoke(input.get(i % input.size()), new ResultFuture<float[]>() {
              @Override public void complete(java.util.Collection<float[]> result) {
                records.incrementAndGet();
                capacity.release();
              }
              @Override public void completeExceptionally(Throwable error) {
                capacity.release();
              }
            });
          }
          capacity.acquire(inFlight);  // drain
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) t.join();
    double rate = records.get() / ((System.nanoTime() - start) / 1e9);
    for (TfjsAsyncFunction<float[], float[]> fn : fns) fn.close();
    return rate;
  }

  /** The tf.js-on-flink shape: one thread, one isolate, one record per predict, legacy contract. */
  static double runLegacy(TfjsRuntime legacy, double seconds) {
    long n = 0;
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    for (int i = 0; System.nanoTime() < end; i++, n++) legacy.predict(input.get(i % input.size()), 1);
    return n / ((System.nanoTime() - start) / 1e9);
  }

  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    String v1 = args[0];
    Path legacyBundle = Path.of(args[1]);
    input = List.of(Fixtures.readCsv(Path.of(args[2])));
    int[] parallelisms = java.util.Arrays.stream((args.length > 3 ? args[3] : "4").split(","))
        .mapToInt(Integer::parseInt).toArray();
    double seconds = args.length > 4 ? Double.parseDouble(args[4]) : 3;
    int reps = args.length > 5 ? Integer.parseInt(args[5]) : 3;
    RuntimeOptions batching = RuntimeOptions.defaults();
    RuntimeOptions noBatching = RuntimeOptions.defaults().withMaxBatchRows(1);
    TfjsModel on = TfjsModel.bundle(v1).withOptions(batching);
    TfjsModel off = TfjsModel.bundle(v1).withOptions(noBatching);
    // Hold one handle of each so the runtimes (and their JIT) live across reps.
    try (TfjsRuntime keepOn = on.open(); TfjsRuntime keepOff = off.open();
         TfjsRuntime legacy = TfjsRuntime.open(legacyBundle, RuntimeOptions.defaults().withThreads(1).withMaxBatchRows(1))) {
      System.out.printf("%s, %d workers; legacy %s, 1 worker; %.1f s per run%n", keepOn.info(),
          keepOn.workers(), legacy.info(), seconds);
      for (int parallelism : parallelisms) {
      System.out.printf("-- %d subtasks%n", parallelism);
      // Warm-up: each shape once.
      runMap(off, parallelism, 2);
      runMap(on, parallelism, 2);
      runAsync(on, parallelism, 256, 2);
      runLegacy(legacy, 2);
      for (int rep = 0; rep < reps; rep++) {
        double nobatch = runMap(off, parallelism, seconds);
        double map = runMap(on, parallelism, seconds);
        double async = runAsync(on, parallelism, 256, seconds);
        double legacyRate = runLegacy(legacy, seconds);
        System.out.printf("rep %d: map-nobatch %.0f, map %.0f, async %.0f, legacy %.0f rows/s | map/nobatch %.2fx, "
            + "async/nobatch %.2fx, async/legacy %.1fx%n", rep, nobatch, map, async, legacyRate, map / nobatch,
            async / nobatch, async / legacyRate);
      }
      }
    }
  }
}
