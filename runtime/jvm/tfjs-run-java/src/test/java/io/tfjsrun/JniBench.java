package io.tfjsrun;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What JNI costs: blocking predicts of the same rows on the same runtime (one worker), made from
 * Java through TfjsRuntime, and from C++ (the bridge calls Runtime::Predict in a loop, as a C++
 * embedder does). Alternated, rep by rep, in one process. Run by tools/bench-jvm.sh.
 *
 *   JniBench BUNDLE ROWS_CSV [SECONDS_PER_RUN] [REPS]
 */
public final class JniBench {
  private JniBench() {}

  public static void main(String[] args) throws Exception {
    Path bundle = Path.of(args[0]);
    float[][] rows = Fixtures.readCsv(Path.of(args[1]));
    double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 2;
    int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    RuntimeOptions options = RuntimeOptions.defaults().withThreads(1);
    try (TfjsRuntime runtime = TfjsRuntime.open(bundle, options)) {
      System.out.println("bundle " + runtime.info() + ", 1 worker, one caller thread, " + seconds + " s per run");
      for (int batch : new int[] {1, 256}) {
        float[] input = new float[batch * rows[0].length];
        for (int r = 0; r < batch; r++) System.arraycopy(rows[r % rows.length], 0, input, r * rows[0].length, rows[0].length);
        // Warm-up: JIT in the JVM and in the isolate (about a CPU-second of TurboFan after load).
        long until = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < until) runtime.predict(input, batch);
        runtime.benchNativePredict(input, batch, 2000 / batch + 10);
        List<Double> ratios = new ArrayList<>();
        List<Double> addedUs = new ArrayList<>();
        for (int rep = 0; rep < reps; rep++) {
          long calls = 0;
          long start = System.nanoTime();
          long end = start + (long) (seconds * 1e9);
          while (System.nanoTime() < end) {
            runtime.predict(input, batch);
            calls++;
          }
          double javaNsPerCall = (double) (System.nanoTime() - start) / calls;
          double cppNsPerCall = (double) runtime.benchNativePredict(input, batch, calls) / calls;
          double ratio = cppNsPerCall / javaNsPerCall;  // Java rows/s over C++ rows/s
          ratios.add(ratio);
          addedUs.add((javaNsPerCall - cppNsPerCall) / 1000);
          System.out.printf("batch %3d rep %d: java %.0f rows/s (%.2f us/call), c++ %.0f rows/s (%.2f us/call), "
              + "java/c++ %.3f, added %.2f us/call%n", batch, rep, batch * 1e9 / javaNsPerCall, javaNsPerCall / 1000,
              batch * 1e9 / cppNsPerCall, cppNsPerCall / 1000, ratio, (javaNsPerCall - cppNsPerCall) / 1000);
        }
        Collections.sort(ratios);
        Collections.sort(addedUs);
        System.out.printf("batch %3d: median java/c++ %.3f (min %.3f, max %.3f), median added %.2f us/call%n", batch,
            ratios.get(reps / 2), ratios.get(0), ratios.get(reps - 1), addedUs.get(reps / 2));
      }
    }
  }
}
