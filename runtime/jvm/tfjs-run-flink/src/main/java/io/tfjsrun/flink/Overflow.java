package io.tfjsrun.flink;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Requests the shared runtime refused as overloaded, retried in arrival order every
 * millisecond until it takes them, on the JDK's shared delay scheduler: no thread of ours, none
 * to leak when Flink unloads the job. Bounded by Flink's async capacity, which counts them as in
 * flight.
 */
final class Overflow {
  private static final Executor RETRY = CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS);

  private final ConcurrentLinkedQueue<Runnable> parked = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile boolean closed;

  /** Parks a submission; it runs again (and may park again) within about a millisecond. */
  void park(Runnable submission) {
    if (closed) return;
    parked.add(submission);
    if (scheduled.compareAndSet(false, true)) RETRY.execute(this::retry);
  }

  private void retry() {
    scheduled.set(false);
    // Only what was parked before this pass: a submission parked again waits for the next one.
    for (int n = parked.size(); n > 0 && !closed; n--) {
      Runnable next = parked.poll();
      if (next == null) break;
      next.run();
    }
    if (!parked.isEmpty() && !closed && scheduled.compareAndSet(false, true)) RETRY.execute(this::retry);
  }

  /** Drops what is parked: called from close, when Flink no longer waits for those records. */
  void close() {
    closed = true;
    parked.clear();
  }
}
