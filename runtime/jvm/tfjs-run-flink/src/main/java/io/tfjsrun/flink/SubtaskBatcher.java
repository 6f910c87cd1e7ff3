package io.tfjsrun.flink;

import io.tfjsrun.Prediction;
import io.tfjsrun.TfjsException;
import io.tfjsrun.TfjsRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Gathers one subtask's records into multi-row requests to the shared runtime, the way Nagle
 * gathers bytes: while fewer than {@code maxInFlight} of its requests are out, a record is sent
 * at once; otherwise it waits, and when a request comes back everything that waited goes in the
 * next (up to {@code maxRows}). So an idle stream pays no added latency, and a busy one pays one
 * JNI call, one queue hand-off and one completion per batch instead of per record.
 *
 * <p>A request the runtime refuses as overloaded is parked in the {@link Overflow} and retried.
 * A request that fails for a reason a single row can cause (its input, the bundle's predict) is
 * sent again row by row, so a bad record fails alone.
 *
 * <p>Public for the Flink SQL provider's async ML_PREDICT function (tfjs-run-flink-sql), which
 * batches its rows through it as {@link TfjsAsyncFunction} does.
 */
public final class SubtaskBatcher {
  /** One record: its features, and how to answer it. */
  public interface Entry {
    float[] row();

    /** The model's output row for it; an answer that cannot be made fails the entry instead of throwing. */
    void answer(float[] output, String version);

    void fail(Throwable error);

    /** Already completed (Flink timed it out): it is not sent. */
    boolean isDone();
  }

  private final Supplier<TfjsRuntime> runtime;
  private final Overflow overflow;
  private final int maxRows;
  private final int maxInFlight;
  private final ArrayList<Entry> waiting = new ArrayList<>();  // guarded by this
  private int inFlight;                                        // guarded by this

  /** {@code runtime} gives null once the caller closed it: records sent after that fail. */
  public SubtaskBatcher(Supplier<TfjsRuntime> runtime, int maxRows, int maxInFlight) {
    this.runtime = runtime;
    this.overflow = new Overflow();
    this.maxRows = maxRows;
    this.maxInFlight = maxInFlight;
  }

  public void add(Entry entry) {
    List<Entry> batch = null;
    synchronized (this) {
      waiting.add(entry);
      if (inFlight < maxInFlight || waiting.size() >= maxRows) {
        batch = take();
        inFlight++;
      }
    }
    if (batch != null) submit(batch);
  }

  /** Up to maxRows waiting records, oldest first, without those Flink already timed out. */
  private List<Entry> take() {
    int n = Math.min(maxRows, waiting.size());
    List<Entry> batch = new ArrayList<>(n);
    for (Entry e : waiting.subList(0, n)) if (!e.isDone()) batch.add(e);
    waiting.subList(0, n).clear();
    return batch;
  }

  /** Sends one counted request; its completion lets the next one go. */
  private void submit(List<Entry> batch) {
    if (batch.isEmpty()) {
      done();
      return;
    }
    int cols = batch.get(0).row().length;
    List<Entry> fit = new ArrayList<>(batch.size());
    for (Entry e : batch) {
      if (e.row().length == cols) {
        fit.add(e);
      } else {
        e.fail(new IllegalArgumentException("tfjs-run: a record has " + e.row().length + " features, the records sent with it "
            + cols));
      }
    }
    if (fit.isEmpty()) {
      done();
      return;
    }
    float[] flat = new float[fit.size() * cols];
    for (int i = 0; i < fit.size(); i++) System.arraycopy(fit.get(i).row(), 0, flat, i * cols, cols);
    send(fit, flat, cols, this::done);
  }

  private void send(List<Entry> batch, float[] flat, int cols, Runnable finished) {
    TfjsRuntime r = runtime.get();
    if (r == null) {
      failAll(batch, new IllegalStateException("tfjs-run: the function was closed before these records were predicted"));
      finished.run();
      return;
    }
    try {
      r.trySubmit(flat, batch.size()).whenComplete((p, error) -> {
        try {
          complete(batch, p, error);
        } finally {
          finished.run();
        }
      });
    } catch (TfjsException e) {
      if (e.kind() == TfjsException.Kind.OVERLOADED) {
        overflow.park(() -> send(batch, flat, cols, finished));
      } else {
        complete(batch, null, e);
        finished.run();
      }
    } catch (RuntimeException e) {
      failAll(batch, e);
      finished.run();
    }
  }

  private void complete(List<Entry> batch, Prediction p, Throwable error) {
    if (error == null) {
      float[] values = p.values();
      int width = values.length / batch.size();
      for (int i = 0; i < batch.size(); i++) batch.get(i).answer(Arrays.copyOfRange(values, i * width, (i + 1) * width), p.version());
      return;
    }
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (batch.size() > 1 && cause instanceof TfjsException t && t.kind().mayBeOneRowsFault()) {
      for (Entry e : batch) send(List.of(e), e.row(), e.row().length, () -> {});  // each alone
    } else {
      failAll(batch, cause);
    }
  }

  private static void failAll(List<Entry> batch, Throwable error) {
    for (Entry e : batch) e.fail(error);
  }

  /**
   * Drops the requests parked as overloaded: called from the function's close, when Flink no
   * longer waits for those records.
   */
  public void close() {
    overflow.close();
  }

  /** A counted request came back: the records that waited meanwhile go next. */
  private void done() {
    List<Entry> next = null;
    synchronized (this) {
      inFlight--;
      if (!waiting.isEmpty() && inFlight < maxInFlight) {
        next = take();
        inFlight++;
      }
    }
    if (next != null) submit(next);
  }
}
