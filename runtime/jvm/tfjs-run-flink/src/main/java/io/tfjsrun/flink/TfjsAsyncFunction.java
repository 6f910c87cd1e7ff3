package io.tfjsrun.flink;

import io.tfjsrun.TfjsRuntime;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
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
 * <p><b>Batching.</b> A subtask's records go to the runtime in multi-row requests
 * ({@link SubtaskBatcher}): while two of its requests are out, new records wait and go together
 * in the next one (up to 256), so a busy stream pays the hand-off to the runtime per batch, not
 * per record, and an idle one adds no latency. A bad record still fails alone.
 *
 * <p><b>Backpressure without stalling checkpoints.</b> {@code asyncInvoke} never blocks. When
 * the shared runtime's queue is full (RuntimeOptions#withMaxQueueRows), the request waits in this
 * subtask's {@link Overflow} and is resubmitted as room appears. The record still counts against
 * Flink's capacity (the last argument of orderedWait), so memory stays bounded: once capacity
 * records are in flight, Flink's AsyncWaitOperator stops taking input and backpressures the
 * stream, and meanwhile its task thread keeps serving its mailbox, where checkpoint barriers
 * and timers are handled. A function that blocked in asyncInvoke would hold that thread, and
 * with it every checkpoint, until the runtime drained.
 *
 * <p><b>Timeouts.</b> Flink's timeout fails the record with a TimeoutException naming the
 * bundle, its version and the time allowed (override {@link #timeout} for a fallback result).
 * A result that arrives after its timeout is dropped; each record is completed exactly once.
 *
 * <p>Results are completed on the runtime's worker threads; Flink's ResultFuture hands them to
 * the task thread.
 */
public class TfjsAsyncFunction<IN, OUT> extends RichAsyncFunction<IN, OUT> implements ResultTypeQueryable<OUT> {
  private static final long serialVersionUID = 1L;
  /** Records per request to the runtime, and requests out at once, per subtask (SubtaskBatcher). */
  static final int MAX_BATCH_ROWS = 256;
  static final int MAX_REQUESTS_IN_FLIGHT = 2;

  private final ModelHandle<IN, OUT> handle;
  // Flink passes timeout() the same ResultFuture it gave asyncInvoke; this finds its Once until
  // it is completed (then it removes itself).
  private transient Map<ResultFuture<OUT>, Once<IN, OUT>> pending;
  private transient SubtaskBatcher batcher;

  /** Your records; OUT is a generic (Kryo) type unless named here or by {@code .returns(...)} on the operator. */
  public TfjsAsyncFunction(TfjsModel model, FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results) {
    this(model, features, results, null);
  }

  /** Your records, with their output type (e.g. {@code Types.POJO(MyResult.class)}). */
  public TfjsAsyncFunction(TfjsModel model, FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results,
            TypeInformation<OUT> outType) {
    this.handle = new ModelHandle<>(model, features, results, outType);
  }

  @Override
  public TypeInformation<OUT> getProducedType() {
    return handle.producedType();
  }

  public static TfjsAsyncFunction<float[], float[]> rows(TfjsModel model) {
    return new TfjsAsyncFunction<>(model, row -> row, (row, output, version) -> output,
        PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO);
  }

  public static TfjsAsyncFunction<LabeledRow, LabeledPrediction> labeled(TfjsModel model) {
    return new TfjsAsyncFunction<>(model, row -> row.features,
        (row, output, version) -> new LabeledPrediction(row.label, output, version),
        TypeInformation.of(LabeledPrediction.class));
  }

  @Override
  public void open(OpenContext openContext) throws Exception {
    super.open(openContext);
    handle.open(getRuntimeContext());
    pending = new ConcurrentHashMap<>();
    batcher = new SubtaskBatcher(handle::runtime, MAX_BATCH_ROWS, MAX_REQUESTS_IN_FLIGHT);
  }

  @Override
  public void asyncInvoke(IN record, ResultFuture<OUT> resultFuture) throws Exception {
    float[] row = handle.features.features(record);
    Once<IN, OUT> once = new Once<>(handle, record, row, resultFuture, pending);
    pending.put(resultFuture, once);
    batcher.add(once);
  }

  @Override
  public void timeout(IN record, ResultFuture<OUT> resultFuture) throws Exception {
    Once<IN, OUT> once = pending.get(resultFuture);
    TfjsRuntime runtime = handle.runtime();
    TimeoutException e = new TimeoutException("tfjs-run: no prediction within Flink's async timeout for bundle '"
        + (runtime == null ? "?" : runtime.info().name()) + "' version " + (runtime == null ? "?" : runtime.info().version()));
    if (once != null) {
      once.fail(e);
    } else {
      handle.failed();
      resultFuture.completeExceptionally(e);
    }
  }

  @Override
  public void close() throws Exception {
    // Flink completes (or cancels) every record in flight before close; anything still parked
    // then belongs to a cancelled attempt and is dropped. The last subtask's close drains the
    // shared runtime: every record it accepted is completed first.
    if (batcher != null) batcher.close();
    handle.close();
    super.close();
  }

  public TfjsRuntime runtime() {
    return handle.runtime();
  }

  /**
   * One record in flight, and the batcher's entry for it: completes its ResultFuture exactly once
   * (a prediction racing its timeout loses quietly). An answer the result builder cannot turn into
   * an output fails the record with what it threw; every failure is counted.
   */
  private static final class Once<IN, OUT> implements SubtaskBatcher.Entry {
    private final ModelHandle<IN, OUT> handle;
    private final IN record;
    private final float[] row;
    private final long start = System.nanoTime();
    private final ResultFuture<OUT> target;
    private final Map<ResultFuture<OUT>, Once<IN, OUT>> pending;
    private final AtomicBoolean done = new AtomicBoolean();

    Once(ModelHandle<IN, OUT> handle, IN record, float[] row, ResultFuture<OUT> target,
         Map<ResultFuture<OUT>, Once<IN, OUT>> pending) {
      this.handle = handle;
      this.record = record;
      this.row = row;
      this.target = target;
      this.pending = pending;
    }

    @Override
    public float[] row() {
      return row;
    }

    @Override
    public boolean isDone() {
      return done.get();
    }

    @Override
    public void answer(float[] output, String version) {
      OUT value;
      try {
        value = handle.result(record, output, version, start);
      } catch (Throwable t) {
        fail(t);
        return;
      }
      if (done.compareAndSet(false, true)) {
        pending.remove(target);
        target.complete(Collections.singletonList(value));
      }
    }

    @Override
    public void fail(Throwable error) {
      handle.failed();
      if (done.compareAndSet(false, true)) {
        pending.remove(target);
        target.completeExceptionally(error);
      }
    }
  }
}
