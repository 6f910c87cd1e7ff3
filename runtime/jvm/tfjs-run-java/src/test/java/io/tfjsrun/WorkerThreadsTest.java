package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The runtime's worker threads attach to the JVM once, as daemons (they never keep a JVM alive),
 * the first time they complete a future, and detach when the runtime shuts down.
 */
class WorkerThreadsTest {

  private static List<Thread> workerThreads() {
    List<Thread> out = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("tfjs-run-w")) out.add(t);
    }
    return out;
  }

  @Test
  void workersAttachOnceAsDaemonsAndDetachOnShutdown() throws Exception {
    float[] row = Fixtures.wineRows()[0];
    TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("wine-layers-cpu"), RuntimeOptions.defaults().withThreads(2));
    List<CompletableFuture<float[]>> futures = new ArrayList<>();
    for (int i = 0; i < 2000; i++) futures.add(runtime.submit(row, 1));
    for (CompletableFuture<float[]> f : futures) f.get();
    // Exactly the workers that completed something attached (a worker attaches on its first
    // completion); which of the two took work is the scheduler's choice, so count them from stats.
    long working = runtime.stats().workers.stream().filter(w -> w.requests > 0).count();
    List<Thread> attached = workerThreads();
    assertTrue(working >= 1, "some worker predicted");
    assertEquals(working, attached.size(), "attached workers: " + attached);
    for (Thread t : attached) assertTrue(t.isDaemon(), t + " is a daemon");
    // More work attaches nothing new: the same threads, once each.
    for (int i = 0; i < 2000; i++) futures.add(runtime.submit(row, 1));
    for (CompletableFuture<float[]> f : futures) f.get();
    long workingNow = runtime.stats().workers.stream().filter(w -> w.requests > 0).count();
    List<Thread> again = workerThreads();
    assertEquals(workingNow, again.size(), again.toString());
    assertTrue(again.containsAll(attached), "the same threads as before: " + again);
    runtime.close();
    for (Thread t : again) t.join(10_000);  // detached: the Java view of the thread terminates
    assertEquals(List.of(), workerThreads());
  }
}
