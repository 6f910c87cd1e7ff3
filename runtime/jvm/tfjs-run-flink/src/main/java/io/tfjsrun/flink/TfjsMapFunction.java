package io.tfjsrun.flink;

import io.tfjsrun.Prediction;
import io.tfjsrun.TfjsRuntime;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * A drop-in {@code RichMapFunction}: one record in, its prediction out, through tfjs-run.
 *
 * <pre>{@code
 * stream.map(TfjsMapFunction.rows(TfjsModel.bundle("/models/wine.bundle.js")));          // float[] -> float[]
 * stream.map(TfjsMapFunction.labeled(TfjsModel.bundle("/models/wine.bundle.js")));       // tf.js-on-flink's shape
 * stream.map(new TfjsMapFunction<>(model, r -> r.features(), (r, out, version) -> ..., Types.POJO(Out.class)));
 * }</pre>
 *
 * <p>{@code open()} acquires the TaskManager's shared runtime (a worker per core; the first
 * subtask loads it, the others share it), {@code map()} predicts one record, {@code close()}
 * releases it. Records of all subtasks batch together in the shared runtime. A blocking map
 * keeps at most one record in flight per subtask; for more throughput use
 * {@link TfjsAsyncFunction}. Only the {@link TfjsModel} and the two mapping functions are
 * serialized. Works with Flink 1.20 and 2.x (it overrides only {@code open(OpenContext)}).
 */
public class TfjsMapFunction<IN, OUT> extends RichMapFunction<IN, OUT> implements ResultTypeQueryable<OUT> {
  private static final long serialVersionUID = 1L;

  private final ModelHandle<IN, OUT> handle;

  /** Your records; OUT is a generic (Kryo) type unless named here or by {@code .returns(...)} on the operator. */
  public TfjsMapFunction(TfjsModel model, FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results) {
    this(model, features, results, null);
  }

  /** Your records, with their output type (e.g. {@code Types.POJO(MyResult.class)}). */
  public TfjsMapFunction(TfjsModel model, FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results,
            TypeInformation<OUT> outType) {
    this.handle = new ModelHandle<>(model, features, results, outType);
  }

  @Override
  public TypeInformation<OUT> getProducedType() {
    return handle.producedType();
  }

  /** Feature rows in, output rows out. */
  public static TfjsMapFunction<float[], float[]> rows(TfjsModel model) {
    return new TfjsMapFunction<>(model, row -> row, (row, output, version) -> output,
        PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO);
  }

  /** tf.js-on-flink's shape: a label and features in; the label, output, predicted class and version out. */
  public static TfjsMapFunction<LabeledRow, LabeledPrediction> labeled(TfjsModel model) {
    return new TfjsMapFunction<>(model, row -> row.features,
        (row, output, version) -> new LabeledPrediction(row.label, output, version),
        TypeInformation.of(LabeledPrediction.class));
  }

  @Override
  public void open(OpenContext openContext) throws Exception {
    super.open(openContext);
    handle.open(getRuntimeContext());
  }

  @Override
  public OUT map(IN record) throws Exception {
    long start = System.nanoTime();
    Prediction p;
    try {
      p = handle.runtime().predictVersioned(handle.features.features(record), 1);
    } catch (RuntimeException e) {
      handle.failed();
      throw e;
    }
    return handle.result(record, p, start);
  }

  @Override
  public void close() throws Exception {
    handle.close();
    super.close();
  }

  /** The runtime this subtask holds (for stats), or null outside open..close. */
  public TfjsRuntime runtime() {
    return handle.runtime();
  }
}
