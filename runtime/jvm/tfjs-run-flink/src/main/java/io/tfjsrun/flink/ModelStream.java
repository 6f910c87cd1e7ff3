package io.tfjsrun.flink;

import io.tfjsrun.RuntimeOptions;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The logic both model-stream functions share (FLIP-23): model updates from the broadcast input
 * change which version of a model serves; records from the data input are answered by the version
 * serving their model. Serialized with the function; the models and metrics are transient.
 *
 * <p>The broadcast state holds, per model, the update that serves: a reference (URL and SHA-256)
 * or an inline bundle of at most {@code maxStateBytes}, in {@link ModelUpdateSchema}'s format.
 * Every subtask checkpoints its own copy, so a large inline bundle is refused rather than
 * multiplied by the parallelism. A restored job loads these versions in {@code open()}, before
 * its first record.
 */
final class ModelStream<IN, OUT> implements Serializable {
  private static final long serialVersionUID = 1L;

  static final MapStateDescriptor<String, byte[]> STATE = new MapStateDescriptor<>("tfjs-serving-models",
      Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
  static final OutputTag<RejectedUpdate> REJECTED = new OutputTag<>("tfjs-rejected-updates",
      TypeInformation.of(RejectedUpdate.class));

  /** Side outputs of a Flink context (its generic {@code output} method). */
  interface SideOutputs {
    <X> void output(OutputTag<X> tag, X value);
  }

  private final String setName;
  private final RuntimeOptions options;
  private final ModelSelector<IN> selector;
  private final FeatureExtractor<IN> features;
  private final ResultBuilder<IN, OUT> results;
  private final TypeInformation<OUT> outType;
  final OutputTag<IN> unserved;
  private final long maxBundleBytes;
  private final int maxStateBytes;

  private transient ServingModels models;
  private transient List<ModelUpdate> restored;
  private transient MetricGroup group;
  private transient Map<String, ModelMetrics> metrics;
  private transient Counter rejectedUpdates;
  private transient boolean reportsUpdates;

  ModelStream(String setName, RuntimeOptions options, TypeInformation<IN> inType, ModelSelector<IN> selector,
      FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results, TypeInformation<OUT> outType,
      long maxBundleBytes, int maxStateBytes) {
    this.setName = Objects.requireNonNull(setName);
    this.options = Objects.requireNonNull(options);
    this.selector = Objects.requireNonNull(selector);
    this.features = Objects.requireNonNull(features);
    this.results = Objects.requireNonNull(results);
    this.outType = Objects.requireNonNull(outType);
    this.unserved = new OutputTag<>("tfjs-unserved-" + setName, Objects.requireNonNull(inType));
    this.maxBundleBytes = maxBundleBytes;
    this.maxStateBytes = maxStateBytes;
  }

  TypeInformation<OUT> outType() {
    return outType;
  }

  /** Remembers the versions a restored job served; open() loads them. */
  void initializeState(FunctionInitializationContext context) throws Exception {
    restored = new ArrayList<>();
    BroadcastState<String, byte[]> state = context.getOperatorStateStore().getBroadcastState(STATE);
    if (!context.isRestored()) return;
    for (Map.Entry<String, byte[]> e : state.entries()) {
      ModelUpdate u = ModelUpdateSchema.decode(e.getValue(), Integer.MAX_VALUE);
      if (u.malformed() != null) throw new IllegalStateException("model '" + e.getKey() + "' in the restored state: " + u.malformed());
      restored.add(u);
    }
  }

  void open(RuntimeContext context) throws Exception {
    models = RuntimePerModel.shared(setName, options);
    group = context.getMetricGroup().addGroup("tfjs");
    metrics = new HashMap<>();
    rejectedUpdates = group.counter("rejectedUpdates", new ThreadSafeSimpleCounter());
    // Every subtask applies every update; one reports the rejections, so each is reported once.
    reportsUpdates = context.getTaskInfo().getIndexOfThisSubtask() == 0;
    if (restored == null) return;
    for (ModelUpdate u : restored) {
      try {
        models.load(u, BundleFetcher.fetch(u, maxBundleBytes));
      } catch (UpdateException e) {
        // The job said it served this version: failing (and retrying) beats serving another one silently.
        throw new IllegalStateException("restoring the serving versions: " + e.getMessage(), e);
      }
      metrics(u.name());
    }
    restored = null;
  }

  /** A model update, from the broadcast input: it serves, or it is rejected and the serving version stays. */
  void update(ModelUpdate u, BroadcastState<String, byte[]> state, SideOutputs out) throws Exception {
    try {
      if (u.malformed() != null) throw new UpdateException(u, u.malformed());
      byte[] entry = ModelUpdateSchema.encode(u.url() != null ? u.withoutBundle() : u);
      if (entry.length > maxStateBytes) {
        throw new UpdateException(u, "its state entry would be " + entry.length + " bytes in every subtask's"
            + " checkpoint, over the limit of " + maxStateBytes + " (publish the bundle by URL and SHA-256)");
      }
      models.load(u, BundleFetcher.fetch(u, maxBundleBytes));
      state.put(u.name(), entry);
      metrics(u.name());
    } catch (UpdateException e) {
      if (!reportsUpdates) return;
      rejectedUpdates.inc();
      if (!u.name().isEmpty()) metrics(u.name()).rejectedUpdates.inc();
      out.output(REJECTED, e.rejected());
    }
  }

  /** A data record: answered by the version serving its model, or passed to the unserved side output. */
  void answer(IN record, Collector<OUT> out, SideOutputs side) throws Exception {
    String name = selector.model(record);
    ModelMetrics m = metrics(name);
    if (models.version(name) == null) {
      m.unserved.inc();
      side.output(unserved, record);
      return;
    }
    long start = System.nanoTime();
    ServingModels.Answer a;
    try {
      a = models.predict(name, features.features(record));
    } catch (RuntimeException e) {
      m.errors.inc();
      throw e;
    }
    m.predicted(start);
    out.collect(results.result(record, a.values(), a.version()));
  }

  private ModelMetrics metrics(String name) {
    ServingModels held = models;  // the gauge may be read after close(): the closed set serves nothing
    return metrics.computeIfAbsent(name, n -> new ModelMetrics(group.addGroup("model", n), () -> held.version(n)));
  }

  void close() {
    if (models != null) models.close();
    models = null;
  }
}
