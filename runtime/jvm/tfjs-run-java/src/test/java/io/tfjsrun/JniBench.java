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

  private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
  private static long lastCalls;

  /** How many calls fill `seconds` (estimated from a short timed run), remembered for the division. */
  private static long callsIn(TfjsRuntime runtime, float[] input, int batch, double seconds) {
    long probe = Math.max(10, 20000 / batch);
    long ns = runtime.benchNativePredict(input, batch, probe);
    lastCalls = Math.max(1, (long) (seconds * 1e9 * probe / ns));
    return lastCalls;
  }

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
        List<Double> cpuAdded = new ArrayList<>();
        for (int rep = 0; rep < reps; rep++) {
          // Which goes first alternates, so neither gains from running second (warmer isolate).
          // Wall time per call, and the caller thread's own CPU time per call: the handoff to the
          // worker and the worker's time are the same for both, so the CPU difference is what
          // the Java side (JNI, copies, allocation) adds, without the scheduler's noise.
          double cppFirst = -1;
          double cppCpuFirst = 0;
          if (rep % 2 == 1) {
            long calls = callsIn(runtime, input, batch, seconds);
            long cpu0 = THREADS.getCurrentThreadCpuTime();
            cppFirst = runtime.benchNativePredict(input, batch, calls);
            cppCpuFirst = THREADS.getCurrentThreadCpuTime() - cpu0;
          }
          long calls = 0;
          long cpuStart = THREADS.getCurrentThreadCpuTime();
          long start = System.nanoTime();
          long end = start + (long) (seconds * 1e9);
          while (System.nanoTime() < end) {
            runtime.predict(input, batch);
            calls++;
          }
          double javaNsPerCall = (double) (System.nanoTime() - start) / calls;
          double javaCpuPerCall = (double) (THREADS.getCurrentThreadCpuTime() - cpuStart) / calls;
          double cppNsPerCall;
          double cppCpuPerCall;
          if (cppFirst >= 0) {
            cppNsPerCall = cppFirst / lastCalls;
            cppCpuPerCall = cppCpuFirst / lastCalls;
          } else {
            long cpu0 = THREADS.getCurrentThreadCpuTime();
            cppNsPerCall = (double) runtime.benchNativePredict(input, batch, calls) / calls;
            cppCpuPerCall = (double) (THREADS.getCurrentThreadCpuTime() - cpu0) / calls;
          }
          cpuAdded.add((javaCpuPerCall - cppCpuPerCall) / 1000);
          double ratio = cppNsPerCall / javaNsPerCall;  // Java rows/s over C++ rows/s
          ratios.add(ratio);
          addedUs.add((javaNsPerCall - cppNsPerCall) / 1000);
          System.out.printf("batch %3d rep %d: java %.0f rows/s (%.2f us/call), c++ %.0f rows/s (%.2f us/call), "
              + "java/c++ %.3f, wall added %.2f us/call; caller cpu java %.2f, c++ %.2f, added %.2f us/call%n", batch, rep,
              batch * 1e9 / javaNsPerCall, javaNsPerCall / 1000, batch * 1e9 / cppNsPerCall, cppNsPerCall / 1000, ratio,
              (javaNsPerCall - cppNsPerCall) / 1000, javaCpuPerCall / 1000, cppCpuPerCall / 1000,
              (javaCpuPerCall - cppCpuPerCall) / 1000);
        }
        // The JNI work alone, as Predict does it on the Java side (transition, checks, copy in,
        // result array), timed over many calls without the runtime: what Java adds to each call.
        long roundTrips = 2_000_000 / Math.max(1, batch / 16);
        for (int warm = 0; warm < 2; warm++) {
          long t0 = System.nanoTime();
          for (long i = 0; i < roundTrips; i++) NativeRuntime.benchRoundTrip(input, batch, rows[0].length, 3);
          if (warm == 1) {
            System.out.printf("batch %3d: JNI round trip alone (copy in, result out) %.3f us/call%n", batch,
                (System.nanoTime() - t0) / 1000.0 / roundTrips);
          }
        }
        Collections.sort(ratios);
        Collections.sort(addedUs);
        Collections.sort(cpuAdded);
        System.out.printf("batch %3d: median java/c++ %.3f (min %.3f, max %.3f), median wall added %.2f us/call, "
            + "median caller cpu added %.2f us/call (min %.2f, max %.2f)%n", batch, ratios.get(reps / 2), ratios.get(0),
            ratios.get(reps - 1), addedUs.get(reps / 2), cpuAdded.get(reps / 2), cpuAdded.get(0), cpuAdded.get(reps - 1));
      }
    }
  }
}
