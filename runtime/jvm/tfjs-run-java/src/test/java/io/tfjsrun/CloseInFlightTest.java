package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Closing with work in flight: every accepted request completes; nothing after is accepted. */
class CloseInFlightTest {

  @Test
  void theLastCloseDrainsEveryAcceptedRequest() throws Exception {
    float[][] rows = Fixtures.wineRows();
    TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("wine-layers-cpu"), RuntimeOptions.defaults().withThreads(2));
    float[][] expected = runtime.predict(rows);
    List<CompletableFuture<float[]>> inFlight = new ArrayList<>();
    for (int i = 0; i < 20000; i++) inFlight.add(runtime.submit(rows[i % rows.length], 1));
    runtime.close();  // returns once every accepted request has completed
    for (int i = 0; i < inFlight.size(); i++) {
      assertTrue(inFlight.get(i).isDone(), "request " + i + " completed before close returned");
      assertArrayEquals(expected[i % rows.length], inFlight.get(i).get(), 0f);
    }
    assertEquals(TfjsException.Kind.SHUTDOWN,
        assertThrows(TfjsException.class, () -> runtime.submit(rows[0], 1)).kind());
  }

  @Test
  void callersRacingTheLastCloseGetAnAnswerOrShutdownNeverACrash() throws Exception {
    float[][] rows = Fixtures.wineRows();
    for (int round = 0; round < 5; round++) {
      TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("wine-layers-cpu"), RuntimeOptions.defaults().withThreads(2));
      float[] expected = runtime.predict(rows[3], 1);
      AtomicInteger answered = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      CountDownLatch started = new CountDownLatch(4);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        final boolean async = t % 2 == 0;
        Thread thread = new Thread(() -> {
          started.countDown();
          while (true) {
            try {
              float[] out = async ? runtime.submit(rows[3], 1).get() : runtime.predict(rows[3], 1);
              assertArrayEquals(expected, out, 0f);
              answered.incrementAndGet();
            } catch (TfjsException e) {
              assertEquals(TfjsException.Kind.SHUTDOWN, e.kind());
              refused.incrementAndGet();
              return;
            } catch (ExecutionException e) {
              throw new AssertionError("an accepted request failed", e);
            } catch (InterruptedException e) {
              return;
            }
          }
        });
        thread.start();
        threads.add(thread);
      }
      started.await();
      Thread.sleep(50);
      runtime.close();
      for (Thread thread : threads) thread.join(30000);
      assertEquals(4, refused.get(), "each caller saw SHUTDOWN once and stopped");
      assertTrue(answered.get() > 0);
    }
  }
}
