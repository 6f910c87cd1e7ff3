package io.tfjsrun.flink;

import io.tfjsrun.Prediction;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsException;
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
 *
 * <p>The state never names a version the runtime no longer serves: when the runtime rolls a
 * version back in its grace window, the subtask puts back the entry of the version serving again
 * (at its next update or checkpoint), and the rollback is reported as a rejected update. If that
 * entry is unknown (the version was loaded before a restore), the model's entry is removed: a
 * restored job then serves it nothing until its next update, rather than the version that failed.
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
  final OutputTag<FailedPrediction<IN>> failed;
  private boolean failOnPredictionErrors;

  private transient ServingModels models;
  private transient List<ModelUpdate> restored;
  private transient BroadcastState<String, byte[]> state;
  // What this subtask's state says serves, and the entry each replaced (put back if the runtime rolls back).
  private transient Map<String, Entry> serving;
  private transient Map<String, Entry> replaced;
  private transient List<RejectedUpdate> unreported;  // rollbacks claimed at a checkpoint, output at the next element
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
    @SuppressWarnings({"unchecked", "rawtypes"})
    TypeInformation<FailedPrediction<IN>> failedType = (TypeInformation) Types.POJO(FailedPrediction.class,
        Map.of("record", inType, "model", Types.STRING, "version", Types.STRING, "reason", Types.STRING));
    this.failed = new OutputTag<>("tfjs-failed-" + setName, failedType);
  }

  private record Entry(String version, byte[] bytes) {}

  /** Whether a failed prediction fails the job (true) or goes to {@link #failed} (false, the default). */
  void failOnPredictionErrors(boolean fail) {
    this.failOnPredictionErrors = fail;
  }

  TypeInformation<OUT> outType() {
    return outType;
  }

  /** Remembers the versions a restored job served; open() loads them. */
  void initializeState(FunctionInitializationContext context) throws Exception {
    restored = new ArrayList<>();
    serving = new HashMap<>();
    replaced = new HashMap<>();
    unreported = new ArrayList<>();
    state = context.getOperatorStateStore().getBroadcastState(STATE);
    if (!context.isRestored()) return;
    for (Map.Entry<String, byte[]> e : state.entries()) {
      ModelUpdate u = ModelUpdateSchema.decode(e.getValue(), Integer.MAX_VALUE);
      if (u.malformed() != null) throw new IllegalStateException("model '" + e.getKey() + "' in the restored state: " + u.malformed());
      restored.add(u);
    }
  }

  void open(RuntimeContext context) throws Exception {
    models = ServingModels.shared(setName, options);
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
      serving.put(u.name(), new Entry(u.version(), state.get(u.name())));
      metrics(u.name());
    }
    restored = null;
  }

  /** A model update, from the broadcast input: it serves, or it is rejected and the serving version stays. */
  void update(ModelUpdate u, SideOutputs out) throws Exception {
    reconcile(out);
    try {
      if (u.malformed() != null) throw new UpdateException(u, u.malformed());
      byte[] entry = ModelUpdateSchema.encode(u.url() != null ? u.withoutBundle() : u);
      if (entry.length > maxStateBytes) {
        throw new UpdateException(u, "its state entry would be " + entry.length + " bytes in every subtask's"
            + " checkpoint, over the limit of " + maxStateBytes + " (publish the bundle by URL and SHA-256)");
      }
      models.load(u, BundleFetcher.fetch(u, maxBundleBytes));
      state.put(u.name(), entry);
      Entry before = serving.put(u.name(), new Entry(u.version(), entry));
      if (before != null && !before.version.equals(u.version())) replaced.put(u.name(), before);
      metrics(u.name());
    } catch (UpdateException e) {
      if (!reportsUpdates) return;
      rejectedUpdates.inc();
      if (!u.name().isEmpty()) metrics(u.name()).rejectedUpdates.inc();
      out.output(REJECTED, e.rejected());
    }
  }

  /** Before a checkpoint: the state is made to name what the runtime serves (see the class comment). */
  void snapshotState() throws Exception {
    for (String name : serving.keySet()) {
      ServingModels.Rollback r = models.claimRollback(name);
      if (r != null) unreported.add(counted(r));
    }
    reconcile(null);
  }

  // Claims and reports the rollbacks this subtask sees first, then puts its state in line with the runtime.
  private void reconcile(SideOutputs out) throws Exception {
    if (out != null) {
      for (RejectedUpdate r : unreported) out.output(REJECTED, r);
      unreported.clear();
      for (String name : serving.keySet()) {
        ServingModels.Rollback r = models.claimRollback(name);
        if (r != null) out.output(REJECTED, counted(r));
      }
    }
    for (String name : new ArrayList<>(serving.keySet())) {
      // Only a rollback of the version this state names moves it: another subtask may be a version ahead.
      ServingModels.Rollback r = models.lastRollback(name);
      if (r == null || !r.version().equals(serving.get(name).version)) continue;
      Entry back = replaced.remove(name);
      if (back != null && back.version.equals(r.servingAgain())) {
        state.put(name, back.bytes);
        serving.put(name, back);
      } else {
        state.remove(name);
        serving.remove(name);
      }
    }
  }

  private RejectedUpdate counted(ServingModels.Rollback r) {
    rejectedUpdates.inc();
    metrics(r.model()).rejectedUpdates.inc();
    return new RejectedUpdate(r.model(), r.version(), "model '" + r.model() + "' version '" + r.version()
        + "' was rolled back to '" + r.servingAgain() + "' after it served: " + r.why());
  }

  /**
   * A data record: answered by the version serving its model, or passed to the unserved side output
   * (no version serves) or the failed one (the prediction failed).
   */
  void answer(IN record, Collector<OUT> out, SideOutputs side) throws Exception {
    if (!unreported.isEmpty()) reconcile(side);
    String name = selector.model(record);
    ModelMetrics m = metrics(name);
    String version = models.loadedVersion(name);
    if (version == null) {
      m.unserved.inc();
      side.output(unserved, record);
      return;
    }
    long start = System.nanoTime();
    Prediction p;
    try {
      p = models.predict(name, features.features(record));
    } catch (TfjsException e) {
      m.errors.inc();
      String reason = "model '" + name + "' version '" + version + "': " + e.getMessage();
      if (failOnPredictionErrors) throw new IllegalStateException(reason, e);
      side.output(failed, new FailedPrediction<>(record, name, version, e.getMessage()));
      return;
    }
    m.predicted(start);
    // Another version than loaded answered: the runtime rolled the loaded one back (or is mid-load).
    if (!p.version().equals(version)) {
      ServingModels.Rollback r = models.claimRollback(name);
      if (r != null) side.output(REJECTED, counted(r));
    }
    out.collect(results.result(record, p.values(), p.version()));
  }

  private ModelMetrics metrics(String name) {
    ServingModels held = models;  // the gauge may be read after close(): the closed set serves nothing
    return metrics.computeIfAbsent(name, n -> new ModelMetrics(group.addGroup("model", n), () -> held.loadedVersion(n),
        () -> held.stats(n)));
  }

  void close() {
    if (models != null) models.close();
    models = null;
  }
}
