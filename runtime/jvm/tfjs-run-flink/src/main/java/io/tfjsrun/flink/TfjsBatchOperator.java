package io.tfjsrun.flink;

import io.tfjsrun.Prediction;
import io.tfjsrun.TfjsException;
import io.tfjsrun.TfjsRuntime;
import java.time.Duration;
import java.util.Arrays;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The fastest way through Flink: an operator that gathers a subtask's records into batches and
 * predicts each batch with one call, on the task thread, chained to its input.
 *
 * <pre>{@code
 * DataStream<LabeledPrediction> out = TfjsBatchOperator.labeled(rows, model);
 * DataStream<float[]> out = TfjsBatchOperator.rows(rows, model);
 * DataStream<MyResult> out = TfjsBatchOperator.apply(rows, model, r -> r.features(), (r, y, v) -> ..., type,
 *     256, Duration.ofMillis(5));
 * }</pre>
 *
 * <p>A batch goes when it holds {@code maxRows} records, when its oldest record has waited
 * {@code maxDelay}, before a watermark passes (so no record is overtaken by one), before a
 * checkpoint barrier (so a checkpoint holds no buffered record and the operator needs no state:
 * exactly-once with nothing to restore), and at the end of input. Output keeps input order and
 * each record's timestamp. A batch that fails for a reason one row can cause is predicted again
 * row by row; the row that still fails fails the job, as a map that throws does.
 *
 * <p>Against {@link TfjsAsyncFunction}: no per-record future or mailbox hand-off (Flink's async
 * operator costs more per record than the model here), but the task thread waits while a batch
 * is predicted, so keep {@code maxRows} moderate for slow models. Metrics are the async
 * function's (group "tfjs").
 */
public final class TfjsBatchOperator<IN, OUT> extends AbstractStreamOperator<OUT>
    implements OneInputStreamOperator<IN, OUT>, BoundedOneInput {
  private static final long serialVersionUID = 1L;
  public static final int DEFAULT_MAX_ROWS = 1024;
  public static final Duration DEFAULT_MAX_DELAY = Duration.ofMillis(5);

  private final ModelHandle<IN, OUT> handle;
  private final int maxRows;
  private final long maxDelayMs;
  private transient Object[] records;     // IN
  private transient long[] timestamps;    // Long.MIN_VALUE: none
  private transient float[] flat;
  private transient int count;
  private transient int cols;
  private transient long batchStartNanos;
  private transient boolean timerSet;

  private TfjsBatchOperator(ModelHandle<IN, OUT> handle, int maxRows, Duration maxDelay) {
    if (maxRows < 1) throw new IllegalArgumentException("tfjs-run: maxRows must be >= 1");
    this.handle = handle;
    this.maxRows = maxRows;
    this.maxDelayMs = Math.max(0, maxDelay.toMillis());
  }

  public static <IN, OUT> SingleOutputStreamOperator<OUT> apply(DataStream<IN> input, TfjsModel model,
      FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results, TypeInformation<OUT> outType, int maxRows,
      Duration maxDelay) {
    // Chained to its input by Flink's default chaining strategy (ALWAYS) for operators.
    return input.transform("tfjs-run batch predict", outType,
        new TfjsBatchOperator<>(new ModelHandle<>(model, features, results, outType), maxRows, maxDelay));
  }

  /** Feature rows in, output rows out. */
  public static SingleOutputStreamOperator<float[]> rows(DataStream<float[]> input, TfjsModel model) {
    return apply(input, model, row -> row, (row, output, version) -> output,
        PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO, DEFAULT_MAX_ROWS, DEFAULT_MAX_DELAY);
  }

  /** tf.js-on-flink's shape: a label and features in; the label, output, predicted class and version out. */
  public static SingleOutputStreamOperator<LabeledPrediction> labeled(DataStream<LabeledRow> input, TfjsModel model) {
    return apply(input, model, row -> row.features, (row, output, version) -> new LabeledPrediction(row.label, output, version),
        TypeInformation.of(LabeledPrediction.class), DEFAULT_MAX_ROWS, DEFAULT_MAX_DELAY);
  }

  @Override
  public void open() throws Exception {
    super.open();
    handle.open(getRuntimeContext());
    records = new Object[maxRows];
    timestamps = new long[maxRows];
  }

  @Override
  public void processElement(StreamRecord<IN> element) throws Exception {
    IN record = element.getValue();
    float[] row = handle.features.features(record);
    if (count == 0) {
      cols = row.length;
      if (flat == null || flat.length != maxRows * cols) flat = new float[maxRows * cols];
      batchStartNanos = System.nanoTime();
      if (maxDelayMs > 0 && !timerSet) {
        timerSet = true;
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + maxDelayMs, t -> {
          timerSet = false;
          flush();
        });
      }
    } else if (row.length != cols) {
      flush();  // a record of another width starts its own batch (the runtime names the bad one)
      processElement(element);
      return;
    }
    System.arraycopy(row, 0, flat, count * cols, cols);
    records[count] = record;
    timestamps[count] = element.hasTimestamp() ? element.getTimestamp() : Long.MIN_VALUE;
    if (++count == maxRows || maxDelayMs == 0) flush();
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    flush();
    super.processWatermark(mark);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void endInput() throws Exception {
    flush();
  }

  @Override
  public void close() throws Exception {
    handle.close();
    super.close();
  }

  @SuppressWarnings("unchecked")
  private void flush() throws Exception {
    if (count == 0) return;
    int n = count;
    count = 0;
    TfjsRuntime runtime = handle.runtime();
    Prediction p;
    try {
      p = runtime.predictVersioned(n == maxRows ? flat : Arrays.copyOf(flat, n * cols), n);
    } catch (TfjsException e) {
      if (n == 1 || !e.kind().mayBeOneRowsFault()) {
        for (int i = 0; i < n; i++) handle.failed();
        throw e;
      }
      flushRowByRow(n);
      return;
    }
    float[] values = p.values();
    int width = values.length / n;
    handle.predicted(p.version(), batchStartNanos, n);
    for (int i = 0; i < n; i++) {
      emit(handle.resultCounted((IN) records[i], Arrays.copyOfRange(values, i * width, (i + 1) * width), p.version()),
          timestamps[i]);
      records[i] = null;
    }
  }

  @SuppressWarnings("unchecked")
  private void flushRowByRow(int n) throws Exception {
    for (int i = 0; i < n; i++) {
      Prediction p;
      try {
        p = handle.runtime().predictVersioned(Arrays.copyOfRange(flat, i * cols, (i + 1) * cols), 1);
      } catch (TfjsException e) {
        handle.failed();
        throw e;
      }
      emit(handle.result((IN) records[i], p.values(), p.version(), batchStartNanos), timestamps[i]);
      records[i] = null;
    }
  }

  private void emit(OUT value, long timestamp) {
    output.collect(timestamp == Long.MIN_VALUE ? new StreamRecord<>(value) : new StreamRecord<>(value, timestamp));
  }
}
