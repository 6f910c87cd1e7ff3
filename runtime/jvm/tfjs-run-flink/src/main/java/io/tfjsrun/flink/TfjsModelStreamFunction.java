package io.tfjsrun.flink;

import io.tfjsrun.RuntimeOptions;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Models as a stream (FLIP-23): a data stream of records, each naming its model, connected to a
 * broadcast stream of {@link ModelUpdate}s.
 *
 * <pre>{@code
 * TfjsModelStreamFunction<Row, Scored> fn = new TfjsModelStreamFunction<>("wine-models", options,
 *     Types.POJO(Row.class), r -> r.model, r -> r.features, (r, out, version) -> new Scored(r, out, version),
 *     Types.POJO(Scored.class));
 * SingleOutputStreamOperator<Scored> scored = TfjsModelStreamFunction.connect(rows, updates, fn);
 * scored.getSideOutput(TfjsModelStreamFunction.REJECTED_UPDATES);  // bad updates, and why
 * scored.getSideOutput(fn.unserved());                             // records of a model serving no version yet
 * scored.getSideOutput(fn.failedPredictions());                    // records the model failed, and why
 * }</pre>
 *
 * <ul>
 *   <li>An update loads, warms up on its sample and must give its expected answers before it
 *       serves; otherwise (or if its bytes do not match its SHA-256, or it does not parse) it goes
 *       to {@link #REJECTED_UPDATES} and the rejectedUpdates metric, and the version that served
 *       keeps serving.
 *   <li>Each answer carries the version that computed it. The subtasks of a TaskManager share the
 *       models (one set per set name), so a version serves a TaskManager's subtasks from the
 *       moment the first of them has loaded it.
 *   <li>A record whose model serves no version is never dropped: it goes to {@link #unserved()}.
 *   <li>A record whose prediction fails (the bundle throws on it) goes to {@link
 *       #failedPredictions()}, naming the model, version and why, and counts in the model's errors
 *       metric; the job keeps answering ({@link #failOnPredictionErrors} makes it fail instead).
 *   <li>A version the runtime rolls back in its grace window (it failed a record the previous
 *       version answered) is reported on {@link #REJECTED_UPDATES}, and the state names the
 *       version serving again.
 *   <li>The broadcast state keeps each model's serving update (a reference, or an inline bundle of
 *       at most {@link #DEFAULT_MAX_STATE_BYTES}); a job restored from a checkpoint loads those
 *       versions in {@code open()}, before its first record.
 *   <li>Metrics per model under "tfjs" / "model" / name (see ModelMetrics).
 * </ul>
 */
public class TfjsModelStreamFunction<IN, OUT> extends BroadcastProcessFunction<IN, ModelUpdate, OUT>
    implements CheckpointedFunction, ResultTypeQueryable<OUT> {
  private static final long serialVersionUID = 1L;

  /** The broadcast state's descriptor: broadcast the updates with it. */
  public static final MapStateDescriptor<String, byte[]> STATE = ModelStream.STATE;
  /** Updates that never served, and why. */
  public static final OutputTag<RejectedUpdate> REJECTED_UPDATES = ModelStream.REJECTED;
  /** A bundle fetched for an update is refused past this size (V8's longest string is 512 MiB). */
  public static final long DEFAULT_MAX_BUNDLE_BYTES = 256L << 20;
  /** An inline bundle is kept in the state (every subtask's checkpoint) up to this size. */
  public static final int DEFAULT_MAX_STATE_BYTES = 64 << 10;

  private final ModelStream<IN, OUT> stream;

  public TfjsModelStreamFunction(String setName, RuntimeOptions options, TypeInformation<IN> inType,
      ModelSelector<IN> selector, FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results,
      TypeInformation<OUT> outType) {
    this(setName, options, inType, selector, features, results, outType, DEFAULT_MAX_BUNDLE_BYTES,
        DEFAULT_MAX_STATE_BYTES);
  }

  public TfjsModelStreamFunction(String setName, RuntimeOptions options, TypeInformation<IN> inType,
      ModelSelector<IN> selector, FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results,
      TypeInformation<OUT> outType, long maxBundleBytes, int maxStateBytes) {
    this.stream = new ModelStream<>(setName, options, inType, selector, features, results, outType, maxBundleBytes,
        maxStateBytes);
  }

  /** {@code data} answered through {@code fn}, with {@code updates} broadcast to it. */
  public static <IN, OUT> SingleOutputStreamOperator<OUT> connect(DataStream<IN> data, DataStream<ModelUpdate> updates,
      TfjsModelStreamFunction<IN, OUT> fn) {
    return data.connect(updates.broadcast(STATE)).process(fn);
  }

  /** Records whose model served no version when they came. */
  public OutputTag<IN> unserved() {
    return stream.unserved;
  }

  /** Records whose prediction failed, with the model, version and why (unless it fails the job). */
  public OutputTag<FailedPrediction<IN>> failedPredictions() {
    return stream.failed;
  }

  /**
   * Whether a failed prediction fails the job (for jobs where one wrong record must stop the
   * pipeline) instead of going to {@link #failedPredictions()}; false by default.
   */
  public TfjsModelStreamFunction<IN, OUT> failOnPredictionErrors(boolean fail) {
    stream.failOnPredictionErrors(fail);
    return this;
  }

  @Override
  public TypeInformation<OUT> getProducedType() {
    return stream.outType();
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    stream.initializeState(context);
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    // The broadcast state is the whole state, and Flink's operator checkpoints it once it names what serves.
    stream.snapshotState();
  }

  @Override
  public void open(OpenContext openContext) throws Exception {
    super.open(openContext);
    stream.open(getRuntimeContext());
  }

  @Override
  public void processElement(IN record, ReadOnlyContext ctx, Collector<OUT> out) throws Exception {
    stream.answer(record, out, ctx::output);
  }

  @Override
  public void processBroadcastElement(ModelUpdate update, Context ctx, Collector<OUT> out) throws Exception {
    stream.update(update, ctx::output);
  }

  @Override
  public void close() throws Exception {
    stream.close();
    super.close();
  }
}
