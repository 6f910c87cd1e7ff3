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
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * {@link TfjsModelStreamFunction} on a keyed stream (for jobs that key their records, e.g. by model
 * name, and keep keyed state beside the answers). The same updates, state, side outputs and
 * metrics; the state and side-output constants are {@link TfjsModelStreamFunction}'s.
 */
public class TfjsKeyedModelStreamFunction<K, IN, OUT> extends KeyedBroadcastProcessFunction<K, IN, ModelUpdate, OUT>
    implements CheckpointedFunction, ResultTypeQueryable<OUT> {
  private static final long serialVersionUID = 1L;

  private static final MapStateDescriptor<String, byte[]> STATE = ModelStream.STATE;

  private final ModelStream<IN, OUT> stream;

  public TfjsKeyedModelStreamFunction(String setName, RuntimeOptions options, TypeInformation<IN> inType,
      ModelSelector<IN> selector, FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results,
      TypeInformation<OUT> outType) {
    this(setName, options, inType, selector, features, results, outType,
        TfjsModelStreamFunction.DEFAULT_MAX_BUNDLE_BYTES, TfjsModelStreamFunction.DEFAULT_MAX_STATE_BYTES);
  }

  public TfjsKeyedModelStreamFunction(String setName, RuntimeOptions options, TypeInformation<IN> inType,
      ModelSelector<IN> selector, FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results,
      TypeInformation<OUT> outType, long maxBundleBytes, int maxStateBytes) {
    this.stream = new ModelStream<>(setName, options, inType, selector, features, results, outType, maxBundleBytes,
        maxStateBytes);
  }

  /** {@code data} answered through {@code fn}, with {@code updates} broadcast to it. */
  public static <K, IN, OUT> SingleOutputStreamOperator<OUT> connect(KeyedStream<IN, K> data,
      DataStream<ModelUpdate> updates, TfjsKeyedModelStreamFunction<K, IN, OUT> fn) {
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
  public TfjsKeyedModelStreamFunction<K, IN, OUT> failOnPredictionErrors(boolean fail) {
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
