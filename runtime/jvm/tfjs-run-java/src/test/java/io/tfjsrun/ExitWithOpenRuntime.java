package io.tfjsrun;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/** A program that exits with a runtime open and requests in flight (run by ExitTest in a child JVM). */
public final class ExitWithOpenRuntime {
  private ExitWithOpenRuntime() {}

  public static void main(String[] args) {
    TfjsRuntime runtime = TfjsRuntime.open(Path.of(args[0]), RuntimeOptions.defaults().withThreads(2));
    float[] row = new float[13];
    AtomicInteger done = new AtomicInteger();
    List<CompletableFuture<float[]>> futures = new ArrayList<>();
    for (int i = 0; i < 5000; i++) futures.add(runtime.submit(row, 1).whenComplete((v, e) -> done.incrementAndGet()));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Hooks run concurrently; wait for tfjs-run's to drain, then report.
      for (int i = 0; i < 1000 && done.get() < futures.size(); i++) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
      System.out.println("completed " + done.get() + " of " + futures.size());
    }));
    System.exit(0);  // no close(): the JVM's exit must drain the runtime, not crash under it
  }
}
