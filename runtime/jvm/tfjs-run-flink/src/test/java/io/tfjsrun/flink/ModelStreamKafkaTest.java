package io.tfjsrun.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsRuntime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Models as a stream, end to end: a real Kafka broker (a child process) holds the data topic and
 * the model-update topic, Flink's KafkaSource reads both in a real MiniCluster, and
 * TfjsModelStreamFunction answers. Every answer is compared with the plain TfjsRuntime's answer of
 * the version the record says answered it.
 */
class ModelStreamKafkaTest {
  @RegisterExtension static final MiniClusterExtension CLUSTER = FlinkTests.cluster();
  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  static final String MODEL = "wine";
  static float[][] wine;
  static Map<String, float[][]> plain = new HashMap<>();  // bundle fixture -> its answers to every wine row
  static KafkaProducer<byte[], byte[]> producer;

  @BeforeAll
  static void answersOfEachVersion() throws Exception {
    wine = Fixtures.wineRows();
    for (String bundle : List.of("wine-layers-cpu", "wine-graph-cpu")) {
      try (TfjsRuntime rt = TfjsRuntime.open(Fixtures.bundle(bundle))) {
        plain.put(bundle, rt.predict(wine));
      }
    }
    producer = KAFKA.producer();
  }

  @AfterAll
  static void closeProducer() {
    if (producer != null) producer.close();
  }

  /** A data record: its place in the stream, its model, its features. */
  public static final class Routed {
    public String id;
    public String model;
    public float[] features;

    public Routed() {}

    static Routed parse(String line) {
      String[] f = line.split(",");
      Routed r = new Routed();
      r.id = f[0];
      r.model = f[1];
      r.features = new float[f.length - 2];
      for (int i = 2; i < f.length; i++) r.features[i - 2] = Float.parseFloat(f[i]);
      return r;
    }
  }

  /** What became of a record or an update: answered (with the version), unserved, or a rejected update. */
  public static final class Outcome {
    public String kind;
    public String id;
    public String version;
    public float[] output;
    public String reason;

    public Outcome() {}

    static Outcome of(String kind, String id, String version, float[] output, String reason) {
      Outcome o = new Outcome();
      o.kind = kind;
      o.id = id;
      o.version = version;
      o.output = output;
      o.reason = reason;
      return o;
    }
  }

  /** The bundle fixture behind each version name the tests publish. */
  static String fixtureOf(String version) {
    return version.startsWith("v1") ? "wine-layers-cpu" : "wine-graph-cpu";
  }

  static ModelUpdate reference(String version, String fixture) throws Exception {
    Path bundle = Fixtures.bundle(fixture);
    float[][] sample = Arrays.copyOf(wine, 4);
    float[][] expected = Arrays.copyOf(plain.get(fixture), 4);
    return ModelUpdate.reference(MODEL, version, bundle.toUri().toString(),
        BundleFetcher.sha256(Files.readAllBytes(bundle)))
        .withCheck(Fixtures.flatten(sample), Fixtures.flatten(expected), 1e-4);
  }

  static void publishRows(String topic, int from, int count) throws Exception {
    for (int i = from; i < from + count; i++) {
      StringBuilder line = new StringBuilder().append(i).append(',').append(MODEL);
      for (float v : wine[i % wine.length]) line.append(',').append(v);
      KafkaBroker.send(producer, topic, 0, line.toString().getBytes(StandardCharsets.UTF_8));
    }
  }

  static void publish(String topic, ModelUpdate u) throws Exception {
    KafkaBroker.send(producer, topic, 0, ModelUpdateSchema.encode(u));
  }

  static <T> KafkaSource<T> source(String topic, long stopAt, DeserializationSchema<T> schema) {
    return KafkaSource.<T>builder().setBootstrapServers(KAFKA.bootstrapServers()).setTopics(topic)
        .setGroupId("test-" + topic).setStartingOffsets(OffsetsInitializer.earliest())
        .setBounded(OffsetsInitializer.offsets(Map.of(new TopicPartition(topic, 0), stopAt)))
        .setValueOnlyDeserializer(schema).build();
  }

  /** The job: data and updates from Kafka, answered through the model stream, every outcome in one stream. */
  static DataStream<Outcome> job(StreamExecutionEnvironment env, String data, long rows, String updates,
      long updateCount, int maxStateBytes) {
    DataStream<Routed> records = env.fromSource(source(data, rows, new SimpleStringSchema()),
        WatermarkStrategy.noWatermarks(), "data").map(Routed::parse).returns(Routed.class).rebalance();
    DataStream<ModelUpdate> modelUpdates = env.fromSource(source(updates, updateCount, new ModelUpdateSchema()),
        WatermarkStrategy.noWatermarks(), "model updates");
    TfjsModelStreamFunction<Routed, Outcome> fn = new TfjsModelStreamFunction<>("test-" + data,
        RuntimeOptions.defaults().withThreads(1), TypeInformation.of(Routed.class), r -> r.model, r -> r.features,
        (r, out, version) -> Outcome.of("answer", r.id, version, out, null), TypeInformation.of(Outcome.class),
        TfjsModelStreamFunction.DEFAULT_MAX_BUNDLE_BYTES, maxStateBytes);
    SingleOutputStreamOperator<Outcome> answered = TfjsModelStreamFunction.connect(records, modelUpdates, fn)
        .name("model-stream");
    DataStream<Outcome> unserved = answered.getSideOutput(fn.unserved())
        .map(r -> Outcome.of("unserved", r.id, null, null, null)).returns(Outcome.class);
    DataStream<Outcome> rejected = answered.getSideOutput(TfjsModelStreamFunction.REJECTED_UPDATES)
        .map(r -> Outcome.of("rejected", r.model, r.version, null, r.reason)).returns(Outcome.class);
    return answered.union(unserved, rejected);
  }

  /** Waits until every subtask of the model-stream operator reports {@code version} serving. */
  static void awaitServing(String job, String version) throws InterruptedException {
    awaitServing(job, MODEL, version);
  }

  @SuppressWarnings("unchecked")
  static void awaitServing(String job, String model, String version) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < deadline) {
      Map<String, Metric> gauges = FlinkTests.MemoryReporter.find(job, "model." + model + ".version");
      if (gauges.size() == 2 && gauges.values().stream().allMatch(g -> version.equals(((Gauge<String>) g).getValue()))) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("version " + version + " did not serve in time");
  }

  static void assertAnsweredBy(Outcome o, String version) {
    assertEquals(version, o.version, "record " + o.id);
    float[] expected = plain.get(fixtureOf(version))[Integer.parseInt(o.id) % wine.length];
    assertArrayEquals(expected, o.output, 1e-5f, "record " + o.id + " by " + version);
  }

  @Test
  void updatesPublishedMidStreamServeAndBadOnesNeverReplaceTheServingVersion() throws Exception {
    String job = "model-stream-mid";
    String data = "data-mid";
    String updates = "updates-mid";
    KAFKA.createTopic(data, 1);
    KAFKA.createTopic(updates, 1);
    int rows = wine.length;
    ModelUpdate v1 = reference("v1", "wine-layers-cpu");
    ModelUpdate v2 = reference("v2", "wine-graph-cpu");
    float[] wrong = v2.expectedRows().clone();
    wrong[0] += 0.5f;
    List<ModelUpdate> bad = List.of(
        ModelUpdate.inline(MODEL, "v3-throws", "throw new Error('broken on purpose');".getBytes(StandardCharsets.UTF_8)),
        reference("v3-wrong-answers", "wine-graph-cpu").withCheck(v2.sampleRows(), wrong, 1e-4),
        ModelUpdate.reference(MODEL, "v3-sha", v2.url(), "0".repeat(64)));
    int updateCount = 2 + bad.size() + 1;  // + one record that is not an update at all

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    publish(updates, v1);
    Map<String, Outcome> answers = new HashMap<>();
    List<Outcome> rejected = new ArrayList<>();
    try (CloseableIterator<Outcome> it = job(env, data, 3L * rows, updates, updateCount, 64 << 10)
        .executeAndCollect(job)) {
      awaitServing(job, "v1");
      publishRows(data, 0, rows);
      collect(it, answers, rejected, rows);
      publish(updates, v2);  // mid-stream
      awaitServing(job, "v2");
      publishRows(data, rows, rows);
      collect(it, answers, rejected, 2 * rows);
      for (ModelUpdate u : bad) publish(updates, u);
      KafkaBroker.send(producer, updates, 0, "not an update".getBytes(StandardCharsets.UTF_8));
      publishRows(data, 2 * rows, rows);
      while (it.hasNext()) add(it.next(), answers, rejected);
    }
    assertEquals(3 * rows, answers.size(), "every record answered once");
    for (Outcome o : answers.values()) {
      int id = Integer.parseInt(o.id);
      assertAnsweredBy(o, id < rows ? "v1" : "v2");
    }
    assertEquals(4, rejected.size(), rejected.toString());
    Map<String, String> reasons = new HashMap<>();
    for (Outcome o : rejected) reasons.put(o.version, o.reason);
    assertTrue(reasons.get("v3-throws").contains("model 'wine' version 'v3-throws'"), reasons.toString());
    assertTrue(reasons.get("v3-wrong-answers").contains("expected"), reasons.toString());
    assertTrue(reasons.get("v3-sha").contains("SHA-256"), reasons.toString());
    assertTrue(reasons.get("").contains("TFMU"), reasons.toString());
    long counted = FlinkTests.MemoryReporter.find(job, "tfjs.rejectedUpdates").values().stream()
        .mapToLong(m -> ((Counter) m).getCount()).sum();
    assertEquals(4, counted);
  }

  /** versioned.js.in's bundle v{@code number} in {@code mode}, checked on one row ({@code [1, 2, 3]}). */
  static ModelUpdate versioned(int number, String mode) throws Exception {
    byte[] bundle = Fixtures.versionedBundle(number, mode);
    float[] sample = {1, 2, 3};
    return ModelUpdate.inline("sum", "v" + number, bundle).withCheck(sample, plainAnswer(bundle, sample), 1e-4);
  }

  static float[] plainAnswer(byte[] bundle, float[] row) {
    try (TfjsRuntime rt = TfjsRuntime.open(bundle, "plain", RuntimeOptions.defaults().withThreads(1))) {
      return rt.predict(row, 1);
    }
  }

  static void publishRow(String topic, String id, String model, float... features) throws Exception {
    StringBuilder line = new StringBuilder().append(id).append(',').append(model);
    for (float v : features) line.append(',').append(v);
    KafkaBroker.send(producer, topic, 0, line.toString().getBytes(StandardCharsets.UTF_8));
  }

  @SuppressWarnings("unchecked")
  static double gaugeValue(String job, String name) {
    Map<String, Metric> found = FlinkTests.MemoryReporter.find(job, name);
    assertEquals(2, found.size(), name + " in each subtask");
    return ((Gauge<Number>) found.values().iterator().next()).getValue().doubleValue();
  }

  static long counted(String job, String name) {
    return FlinkTests.MemoryReporter.find(job, name).values().stream().mapToLong(m -> ((Counter) m).getCount()).sum();
  }

  /**
   * The keyed variant, records keyed by model: two models serve side by side; a record the model
   * throws on goes to the failed side output naming model and version while the job keeps
   * answering; a version that fails a record in its grace window is rolled back by the runtime
   * (the record answered by the previous version) and reported as a rejected update.
   */
  @Test
  void keyedStreamServesModelsSideBySideRoutesFailuresAndReportsARollback() throws Exception {
    String job = "model-stream-keyed";
    String data = "data-keyed";
    String updates = "updates-keyed";
    KAFKA.createTopic(data, 1);
    KAFKA.createTopic(updates, 1);
    int rows = wine.length;
    ModelUpdate sum1 = versioned(1, "ok");
    ModelUpdate sum2 = versioned(2, "throws-on-7");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    DataStream<Routed> records = env.fromSource(source(data, rows + 5, new SimpleStringSchema()),
        WatermarkStrategy.noWatermarks(), "data").map(Routed::parse).returns(Routed.class);
    DataStream<ModelUpdate> modelUpdates = env.fromSource(source(updates, 3, new ModelUpdateSchema()),
        WatermarkStrategy.noWatermarks(), "model updates");
    TfjsKeyedModelStreamFunction<String, Routed, Outcome> fn = new TfjsKeyedModelStreamFunction<>("test-keyed",
        RuntimeOptions.defaults().withThreads(1), TypeInformation.of(Routed.class), r -> r.model, r -> r.features,
        (r, out, version) -> Outcome.of("answer", r.id, version, out, null), TypeInformation.of(Outcome.class));
    SingleOutputStreamOperator<Outcome> answered = TfjsKeyedModelStreamFunction.connect(
        records.keyBy(r -> r.model), modelUpdates, fn).name("model-stream");
    DataStream<Outcome> all = answered.union(
        answered.getSideOutput(fn.unserved()).map(r -> Outcome.of("unserved", r.id, null, null, null))
            .returns(Outcome.class),
        answered.getSideOutput(fn.failedPredictions()).map(f -> Outcome.of("failed", f.record.id, f.version, null,
            f.model + ": " + f.reason)).returns(Outcome.class),
        answered.getSideOutput(TfjsModelStreamFunction.REJECTED_UPDATES)
            .map(r -> Outcome.of("rejected", r.model, r.version, null, r.reason)).returns(Outcome.class));

    publish(updates, reference("v1", "wine-layers-cpu"));
    publish(updates, sum1);
    Map<String, Outcome> outcomes = new HashMap<>();
    List<Outcome> rejected = new ArrayList<>();
    double usage;
    double durationMin;
    double durationMax;
    try (CloseableIterator<Outcome> it = all.executeAndCollect(job)) {
      awaitServing(job, "wine", "v1");
      awaitServing(job, "sum", "v1");
      publishRows(data, 0, rows);
      publishRow(data, "s0", "sum", 1, 2, 3);
      publishRow(data, "s1", "sum", -13, 0, 0);  // throws on every version
      collectOutcomes(it, outcomes, rejected, rows + 2);
      Thread.sleep(600);  // past the stats gauges' cache
      usage = gaugeValue(job, "model.wine.usage");
      durationMin = gaugeValue(job, "model.wine.durationMinMs");
      durationMax = gaugeValue(job, "model.wine.durationMaxMs");
      publish(updates, sum2);
      awaitServing(job, "sum", "v2");
      publishRow(data, "s2", "sum", 1, 1, 1);
      publishRow(data, "s3", "sum", 7, 0, 0);  // v2 throws on it in its grace window: v1 answers, v2 rolls back
      publishRow(data, "s4", "sum", 2, 0, 0);
      collectOutcomes(it, outcomes, rejected, rows + 5);
      awaitServing(job, "sum", "v1");
      while (it.hasNext()) {
        Outcome o = it.next();
        if (o.kind.equals("rejected")) rejected.add(o);
        else throw new AssertionError("record " + o.id + " twice");
      }
    }
    for (int i = 0; i < rows; i++) assertAnsweredBy(outcomes.get(String.valueOf(i)), "v1");
    byte[] v1 = Fixtures.versionedBundle(1, "ok");
    byte[] v2 = Fixtures.versionedBundle(2, "throws-on-7");
    assertSumAnswer(outcomes.get("s0"), "v1", plainAnswer(v1, new float[] {1, 2, 3}));
    assertSumAnswer(outcomes.get("s2"), "v2", plainAnswer(v2, new float[] {1, 1, 1}));
    assertSumAnswer(outcomes.get("s3"), "v1", plainAnswer(v1, new float[] {7, 0, 0}));
    assertSumAnswer(outcomes.get("s4"), "v1", plainAnswer(v1, new float[] {2, 0, 0}));
    Outcome failed = outcomes.get("s1");
    assertEquals("failed", failed.kind);
    assertEquals("v1", failed.version);
    assertTrue(failed.reason.startsWith("sum: ") && failed.reason.contains("-13"), failed.reason);
    assertEquals(1, counted(job, "model.sum.errors"));
    assertEquals(1, rejected.size(), rejected.toString());
    assertEquals("sum", rejected.get(0).id);
    assertEquals("v2", rejected.get(0).version);
    assertTrue(rejected.get(0).reason.contains("rolled back to 'v1'"), rejected.get(0).reason);
    assertEquals(1, counted(job, "tfjs.rejectedUpdates"));
    assertTrue(usage >= rows, "usage " + usage);
    assertTrue(durationMin > 0 && durationMax >= durationMin, durationMin + " .. " + durationMax);
  }

  static void assertSumAnswer(Outcome o, String version, float[] plain) {
    assertEquals("answer", o.kind, String.valueOf(o.reason));
    assertEquals(version, o.version, "record " + o.id);
    assertArrayEquals(plain, o.output, 1e-5f, "record " + o.id);
  }

  // Every record once, in a map by id (answered or failed; none unserved); updates rejected, in a list.
  static void collectOutcomes(CloseableIterator<Outcome> it, Map<String, Outcome> outcomes, List<Outcome> rejected,
      int until) {
    while (outcomes.size() < until && it.hasNext()) {
      Outcome o = it.next();
      if (o.kind.equals("rejected")) {
        rejected.add(o);
        continue;
      }
      assertTrue(o.kind.equals("answer") || o.kind.equals("failed"), "record " + o.id + " was " + o.kind);
      assertNull(outcomes.put(o.id, o), "record " + o.id + " twice");
    }
  }

  static void collect(CloseableIterator<Outcome> it, Map<String, Outcome> answers, List<Outcome> rejected, int until) {
    while (answers.size() < until && it.hasNext()) add(it.next(), answers, rejected);
  }

  static void add(Outcome o, Map<String, Outcome> answers, List<Outcome> rejected) {
    if (o.kind.equals("rejected")) {
      rejected.add(o);
      return;
    }
    assertEquals("answer", o.kind, "record " + o.id + " was not answered");
    assertNull(answers.put(o.id, o), "record " + o.id + " answered twice");
  }

  static final AtomicBoolean CHECKPOINTED = new AtomicBoolean();
  static final AtomicBoolean THROWN = new AtomicBoolean();

  /** Throws once, on the first answer after a checkpoint completed, so the restart restores it. */
  static final class FailOnceAfterACheckpoint implements MapFunction<Outcome, Outcome>, CheckpointListener {
    private static final long serialVersionUID = 1L;

    @Override
    public Outcome map(Outcome o) {
      if (o.kind.equals("answer") && CHECKPOINTED.get() && THROWN.compareAndSet(false, true)) {
        throw new IllegalStateException("the test's one failure, at record " + o.id);
      }
      return o;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      CHECKPOINTED.set(true);
    }
  }

  /**
   * With failOnPredictionErrors(true), a record the model throws on fails the job (no restarts
   * here), the failure naming the model, the version and the model's own error; the record before
   * it was answered.
   */
  @Test
  void failOnPredictionErrorsFailsTheJobNamingModelVersionAndError() throws Exception {
    String job = "model-stream-fail";
    String data = "data-fail";
    String updates = "updates-fail";
    KAFKA.createTopic(data, 1);
    KAFKA.createTopic(updates, 1);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    Configuration conf = new Configuration();
    conf.setString("restart-strategy.type", "none");
    env.configure(conf);
    env.setParallelism(2);
    DataStream<Routed> records = env.fromSource(source(data, 2, new SimpleStringSchema()),
        WatermarkStrategy.noWatermarks(), "data").map(Routed::parse).returns(Routed.class);
    DataStream<ModelUpdate> modelUpdates = env.fromSource(source(updates, 1, new ModelUpdateSchema()),
        WatermarkStrategy.noWatermarks(), "model updates");
    TfjsModelStreamFunction<Routed, Outcome> fn = new TfjsModelStreamFunction<>("test-fail",
        RuntimeOptions.defaults().withThreads(1), TypeInformation.of(Routed.class), r -> r.model, r -> r.features,
        (r, out, version) -> Outcome.of("answer", r.id, version, out, null), TypeInformation.of(Outcome.class))
        .failOnPredictionErrors(true);
    DataStream<Outcome> answered = TfjsModelStreamFunction.connect(records, modelUpdates, fn).name("model-stream");
    ModelUpdate sum1 = versioned(1, "ok");
    publish(updates, sum1);
    List<Outcome> seen = new ArrayList<>();
    RuntimeException failure = null;
    try (CloseableIterator<Outcome> it = answered.executeAndCollect(job)) {
      awaitServing(job, "sum", "v1");
      publishRow(data, "s0", "sum", 1, 2, 3);
      publishRow(data, "s1", "sum", -13, 0, 0);  // the versioned bundle throws on it
      while (it.hasNext()) seen.add(it.next());
    } catch (RuntimeException e) {
      failure = e;
    }
    assertNotNull(failure, "the job ended without failing; it gave " + seen.size() + " outcomes");
    StringBuilder chain = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) chain.append(t).append('\n');
    assertTrue(chain.indexOf("model 'sum' version 'v1'") >= 0, chain.toString());
    assertTrue(chain.indexOf("-13") >= 0, chain.toString());
    for (Outcome o : seen) assertSumAnswer(o, "v1", plainAnswer(Fixtures.versionedBundle(1, "ok"), new float[] {1, 2, 3}));
  }

  @Test
  void aJobRestoredFromACheckpointServesTheVersionsItServed() throws Exception {
    String job = "model-stream-restore";
    String data = "data-restore";
    String updates = "updates-restore";
    KAFKA.createTopic(data, 1);
    KAFKA.createTopic(updates, 1);
    int rows = wine.length;
    CHECKPOINTED.set(false);
    THROWN.set(false);
    StreamExecutionEnvironment env = FlinkTests.restartingEnvironment();
    publish(updates, reference("v1", "wine-layers-cpu"));
    publish(updates, reference("v2", "wine-graph-cpu"));
    Map<String, Outcome> answers = new HashMap<>();
    List<Outcome> rejected = new ArrayList<>();
    try (CloseableIterator<Outcome> it = job(env, data, 2L * rows, updates, 2, 64 << 10)
        .map(new FailOnceAfterACheckpoint()).executeAndCollect(job)) {
      awaitServing(job, "v2");
      publishRows(data, 0, rows);
      collect(it, answers, rejected, rows);
      // Both updates were read before a checkpoint completed: after the failure, the source does not
      // read them again, and only the restored broadcast state says v2 serves.
      long deadline = System.currentTimeMillis() + 60_000;
      while (!CHECKPOINTED.get() && System.currentTimeMillis() < deadline) Thread.sleep(20);
      publishRows(data, rows, rows);
      while (it.hasNext()) add(it.next(), answers, rejected);
    }
    assertTrue(THROWN.get(), "the job failed once, after a completed checkpoint");
    assertEquals(List.of(), rejected);
    // The collect sink hands out only checkpointed results: each record once, across the restart.
    assertEquals(2 * rows, answers.size());
    for (Outcome o : answers.values()) assertAnsweredBy(o, "v2");
  }

  /**
   * A rollback survives a restore: v2 fails a row v1 answers in its grace window, so the runtime
   * rolls it back and the subtasks put their broadcast state back to v1. A checkpoint completes
   * after that, then the job fails once and is restored from it: it serves v1, never v2 (whose
   * update the source does not read again; rows of 7, which v2 fails, are answered), and the
   * rollback was reported once in all.
   */
  @Test
  void aRollbackSurvivesACheckpointAndARestore() throws Exception {
    String job = "model-stream-rollback-restore";
    String data = "data-rollback-restore";
    String updates = "updates-rollback-restore";
    KAFKA.createTopic(data, 1);
    KAFKA.createTopic(updates, 1);
    int rows = 24;
    Map<String, float[]> sent = new HashMap<>();
    CHECKPOINTED.set(false);
    THROWN.set(true);  // disarmed until the rollback is in a completed checkpoint
    StreamExecutionEnvironment env = FlinkTests.restartingEnvironment();
    publish(updates, versioned(1, "ok"));
    Map<String, Outcome> answers = new HashMap<>();
    List<Outcome> rejected = new ArrayList<>();
    try (CloseableIterator<Outcome> it = job(env, data, rows, updates, 2, 64 << 10)
        .map(new FailOnceAfterACheckpoint()).executeAndCollect(job)) {
      awaitServing(job, "sum", "v1");
      publishSum(data, sent, 1, 2, 3);
      collect(it, answers, rejected, 1);
      publish(updates, versioned(2, "throws-on-7"));
      awaitServing(job, "sum", "v2");
      publishSum(data, sent, 7, 0, 0);  // v2 throws on it in its grace window: v1 answers, v2 rolls back
      // The collect sink hands out only checkpointed results, so once the report is seen it is in a
      // completed checkpoint. A subtask that claimed the rollback at a checkpoint reports it with its
      // next record: send more until it does.
      while (rejected.isEmpty()) {
        assertTrue(sent.size() < rows / 2, "the rollback was never reported");
        if (answers.size() == sent.size()) publishSum(data, sent, 1 + sent.size() % 10, 0, 0);
        add(it.next(), answers, rejected);
      }
      awaitServing(job, "sum", "v1");
      assertTrue(awaitACheckpointBegunNow(job), "no checkpoint completed after the rollback");
      THROWN.set(false);  // the next answer fails the job once; the restart restores that checkpoint or a later one
      while (sent.size() < rows) publishSum(data, sent, 1 + sent.size() % 10, 0, 0);
      while (it.hasNext()) add(it.next(), answers, rejected);
    }
    assertTrue(THROWN.get(), "the job failed once, after the rollback was checkpointed");
    assertEquals(rows, answers.size(), "every record answered once, across the restart");
    byte[] v1 = Fixtures.versionedBundle(1, "ok");
    Map<String, float[]> plainV1 = new HashMap<>();  // by row
    for (Outcome o : answers.values()) {
      float[] row = sent.get(o.id);
      assertSumAnswer(o, "v1", plainV1.computeIfAbsent(Arrays.toString(row), k -> plainAnswer(v1, row)));
    }
    assertEquals(1, rejected.size(), rejected.toString());
    assertEquals("sum", rejected.get(0).id);
    assertEquals("v2", rejected.get(0).version);
    assertTrue(rejected.get(0).reason.contains("rolled back to 'v1'"), rejected.get(0).reason);
  }

  /** Publishes {@code row} as the next record of model "sum" ("s" + its place), and remembers it. */
  static void publishSum(String topic, Map<String, float[]> sent, float... row) throws Exception {
    String id = "s" + sent.size();
    sent.put(id, row);
    publishRow(topic, id, "sum", row);
  }

  /**
   * The broadcast state's cost in a checkpoint (parallelism 2): the model's entry as a reference
   * (URL and SHA-256) or as the inline bundle (608 KB), measured as the job's full checkpoint size.
   * docs/benchmarks.md records the numbers this prints.
   */
  @ParameterizedTest
  @ValueSource(strings = {"reference", "inline"})
  void checkpointSizeOfAReferenceAndOfAnInlineBundle(String how) throws Exception {
    String job = "model-stream-size-" + how;
    String data = "data-size-" + how;
    String updates = "updates-size-" + how;
    KAFKA.createTopic(data, 1);
    KAFKA.createTopic(updates, 1);
    ModelUpdate ref = reference("v1", "wine-layers-cpu");
    ModelUpdate update = how.equals("reference") ? ref
        : ModelUpdate.inline(MODEL, "v1", Files.readAllBytes(Fixtures.bundle("wine-layers-cpu")))
            .withCheck(ref.sampleRows(), ref.expectedRows(), ref.tolerance());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    env.enableCheckpointing(100);
    publish(updates, update);
    Map<String, Outcome> answers = new HashMap<>();
    List<Outcome> rejected = new ArrayList<>();
    long size;
    try (CloseableIterator<Outcome> it = job(env, data, wine.length, updates, 1, 1 << 20).executeAndCollect(job)) {
      awaitServing(job, "v1");
      awaitACheckpointBegunNow(job);  // one that began after v1 served
      size = jobGauge(job, "lastCheckpointFullSize");
      publishRows(data, 0, wine.length);
      while (it.hasNext()) add(it.next(), answers, rejected);
    }
    assertEquals(wine.length, answers.size());
    for (Outcome o : answers.values()) assertAnsweredBy(o, "v1");
    System.out.println("model-stream checkpoint, parallelism 2, " + how + " entry: " + size + " bytes");
    long bundle = Files.size(Fixtures.bundle("wine-layers-cpu"));
    if (how.equals("reference")) assertTrue(size < 32 << 10, size + " bytes");
    else assertTrue(size > 2 * bundle, size + " bytes: each subtask's copy holds the bundle");
  }

  @SuppressWarnings("unchecked")
  static long jobGauge(String job, String name) {
    Map<String, Metric> found = FlinkTests.MemoryReporter.find(job, name);
    return found.isEmpty() ? 0 : ((Gauge<Long>) found.values().iterator().next()).getValue();
  }

  /**
   * Waits (up to a minute) until a checkpoint that began after this call has completed: two more
   * than now, as one may be under way. Whether it did.
   */
  static boolean awaitACheckpointBegunNow(String job) throws InterruptedException {
    long target = completedCheckpoints(job) + 2;
    long deadline = System.currentTimeMillis() + 60_000;
    while (completedCheckpoints(job) < target && System.currentTimeMillis() < deadline) Thread.sleep(20);
    return completedCheckpoints(job) >= target;
  }

  static long completedCheckpoints(String job) {
    return jobGauge(job, "numberOfCompletedCheckpoints");
  }
}
