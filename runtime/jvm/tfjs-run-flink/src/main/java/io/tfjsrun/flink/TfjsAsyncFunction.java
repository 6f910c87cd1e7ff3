package io.tfjsrun.flink;

import io.tfjsrun.Prediction;
import io.tfjsrun.TfjsException;
import io.tfjsrun.TfjsRuntime;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * A {@code RichAsyncFunction} for {@code AsyncDataStream.orderedWait / unorderedWait}: many
 * records in flight per subtask, so the shared runtime's batches fill up.
 *
 * <pre>{@code
 * AsyncDataStream.orderedWait(rows, TfjsAsyncFunction.labeled(model), 5, TimeUnit.SECONDS, 256);
 * }</pre>
 *
 * <p><b>Backpressure.</b> Flink bounds the records in flight per subtask (the capacity
 * argument). Beyond that, when the runtime's queue is full, {@code asyncInvoke} waits for room
 * (the runtime's queue bound, RuntimeOptions#withMaxQueueRows), which backpressures the stream:
 * memory stays bounded whatever the input rate.
 *
 * <p><b>Timeouts.</b> Flink's timeout fails the record with a TimeoutException naming the
 * bundle, its version and the time allowed (override {@link #timeout} for a fallback result).
 * A result that arrives after its timeout is dropped; each record is completed exactly once.
 *
 * <p>Results are completed on the runtime's worker threads; Flink's ResultFuture hands them to
 * the task thread.
 */
public class TfjsAsyncFunction<IN, OUT> extends RichAsyncFunction<IN, OUT> {
  private static final long serialVersionUID = 1L;

  private final ModelHandle<IN, OUT> handle;
  // Flink passes timeout() the same ResultFuture it gave asyncInvoke; this finds its Once.
  private transient Map<ResultFuture<OUT>, Once<OUT>> pending;

  public TfjsAsyncFunction(TfjsModel model, FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results) {
    this.handle = new ModelHandle<>(model, features, results);
  }

  public static TfjsAsyncFunction<float[], float[]> rows(TfjsModel model) {
    return new TfjsAsyncFunction<>(model, row -> row, (row, output, version) -> output);
  }

  public static TfjsAsyncFunction<LabeledRow, LabeledPrediction> labeled(TfjsModel model) {
    return new TfjsAsyncFunction<>(model, row -> row.features,
        (row, output, version) -> new LabeledPrediction(row.label, output, version));
  }

  @Override
  public void open(OpenContext openContext) throws Exception {
    super.open(openContext);
    handle.open(getRuntimeContext());
    pending = Collections.synchronizedMap(new WeakHashMap<>());
  }

  @Override
  public void asyncInvoke(IN record, ResultFuture<OUT> resultFuture) throws Exception {
    float[] row = handle.features.features(record);
    TfjsRuntime runtime = handle.runtime();
    CompletableFuture<Prediction> future;
    try {
      future = runtime.trySubmit(row, 1);
    } catch (TfjsException e) {
      if (e.kind() != TfjsException.Kind.OVERLOADED) throw e;
      future = runtime.submitVersioned(row, 1);  // waits for room in the queue: backpressure
    }
    Once<OUT> once = new Once<>(resultFuture);
    future.whenComplete((p, error) -> {
      if (error != null) {
        once.fail(error instanceof java.util.concurrent.CompletionException && error.getCause() != null
            ? error.getCause() : error);
        return;
      }
      try {
        once.complete(handle.result(record, p));
      } catch (Throwable t) {
        once.fail(t);
      }
    });
    pending.put(resultFuture, once);
  }


  @Override
  public void timeout(IN record, ResultFuture<OUT> resultFuture) throws Exception {
    Once<OUT> once = pending.get(resultFuture);
    TfjsRuntime runtime = handle.runtime();
    TimeoutException e = new TimeoutException("tfjs-run: no prediction within Flink's async timeout for bundle '"
        + (runtime == null ? "?" : runtime.info().name()) + "' version " + (runtime == null ? "?" : runtime.info().version()));
    if (once != null) {
      once.fail(e);
    } else {
      resultFuture.completeExceptionally(e);
    }
  }

  @Override
  public void close() throws Exception {
    // The last subtask's close drains the runtime: every record it accepted is completed first.
    handle.close();
    super.close();
  }

  public TfjsRuntime runtime() {
    return handle.runtime();
  }

  /** Completes a ResultFuture exactly once (a prediction racing its timeout loses quietly). */
  private static final class Once<OUT> {
    private final ResultFuture<OUT> target;
    private final AtomicBoolean done = new AtomicBoolean();

    Once(ResultFuture<OUT> target) {
      this.target = target;
    }

    void complete(OUT value) {
      if (done.compareAndSet(false, true)) target.complete(Collections.singletonList(value));
    }

    void fail(Throwable error) {
      if (done.compareAndSet(false, true)) target.completeExceptionally(error);
    }
  }
}
