package io.tfjsrun.flink;

import static io.tfjsrun.flink.FlinkTests.MemoryReporter;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import io.tfjsrun.RuntimeOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The wine rows through a real Flink MiniCluster at parallelism 2: serialized, shipped, opened
 * in the TaskManager, through TfjsMapFunction, TfjsAsyncFunction (ordered and unordered) and
 * TfjsBatchOperator.
 * Every record's answer equals tfjs in Node's within 1e-5, and the operators' metrics, read
 * back through a metric reporter, count what happened.
 */
class MiniClusterWineTest {
  @RegisterExtension static final MiniClusterExtension CLUSTER = FlinkTests.cluster();

  static final int COPIES = 20;  // 3560 records
  static final String BUNDLE = "wine-layers-wasm";

  private static TfjsModel model() {
    return TfjsModel.bundle(Fixtures.bundle(BUNDLE).toString()).withOptions(RuntimeOptions.defaults().withThreads(2));
  }

  private static List<LabeledPrediction> run(String job, String how) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    DataStream<LabeledRow> rows = env.fromData(FlinkTests.numberedWine(COPIES)).rebalance();
    DataStream<LabeledPrediction> out;
    switch (how) {
      case "map": out = rows.map(TfjsMapFunction.labeled(model())).name("predict"); break;
      case "ordered": out = AsyncDataStream.orderedWait(rows, TfjsAsyncFunction.labeled(model()), 30, TimeUnit.SECONDS, 128).name("predict"); break;
      case "unordered": out = AsyncDataStream.unorderedWait(rows, TfjsAsyncFunction.labeled(model()), 30, TimeUnit.SECONDS, 128).name("predict"); break;
      case "batch": out = TfjsBatchOperator.labeled(rows, model()).name("predict"); break;
      default: throw new IllegalArgumentException(how);
    }
    List<LabeledPrediction> results = new ArrayList<>();
    try (var it = out.executeAndCollect(job)) {
      it.forEachRemaining(results::add);
    }
    return results;
  }

  private static void expectNodesAnswers(List<LabeledPrediction> results) throws Exception {
    float[][] node = FlinkTests.nodeReference(BUNDLE);
    assertEquals(node.length * COPIES, results.size());
    Map<String, LabeledPrediction> byId = new HashMap<>();
    for (LabeledPrediction p : results) assertEquals(null, byId.put(p.label, p), "record " + p.label + " answered twice");
    for (int i = 0; i < results.size(); i++) {
      LabeledPrediction p = byId.get(Integer.toString(i));
      assertArrayEquals(FlinkTests.nodeAnswer(node, p.label), p.output, 1e-5f, "record " + i);
      assertEquals("test-1", p.version);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"map", "ordered", "unordered", "batch"})
  void everyRecordGetsTfjsInNodesAnswerAtParallelism2(String how) throws Exception {
    expectNodesAnswers(run("wine-" + how, how));
  }

  @SuppressWarnings("unchecked")
  @Test
  void theOperatorsMetricsCountPredictionsErrorsLatencyAndVersion() throws Exception {
    MemoryReporter.clear();
    List<LabeledPrediction> results = run("wine-metrics", "ordered");
    expectNodesAnswers(results);
    Map<String, Metric> predictions = MemoryReporter.find("wine-metrics", "predict", "tfjs.predictions");
    assertEquals(2, predictions.size(), "one counter per subtask: " + predictions.keySet() + " among "
        + MemoryReporter.find("tfjs").keySet() + " of " + MemoryReporter.METRICS.size());
    long total = predictions.values().stream().mapToLong(m -> ((Counter) m).getCount()).sum();
    assertEquals(results.size(), total);
    for (Metric m : MemoryReporter.find("wine-metrics", "predict", "tfjs.errors").values()) assertEquals(0, ((Counter) m).getCount());
    Map<String, Metric> latency = MemoryReporter.find("wine-metrics", "predict", "tfjs.latencyMs");
    assertEquals(2, latency.size());
    for (Metric m : latency.values()) {
      Histogram h = (Histogram) m;
      assertEquals(Math.min(1000, h.getCount()), h.getStatistics().size());
      assertTrue(h.getCount() > 0 && h.getStatistics().getMin() >= 0, "latency " + h.getStatistics().getMean());
    }
    assertEquals(results.size(), latency.values().stream().mapToLong(m -> ((Histogram) m).getCount()).sum());
    for (Metric m : MemoryReporter.find("wine-metrics", "predict", "tfjs.version").values()) {
      assertEquals("test-1", ((Gauge<String>) m).getValue());
    }
    for (String gauge : new String[] {"tfjs.runtimeRows", "tfjs.queueRows", "tfjs.sharedBy", "tfjs.reloads", "tfjs.rejectedOverloaded"}) {
      assertEquals(2, MemoryReporter.find("wine-metrics", "predict", gauge).size(), gauge);
    }
  }
}
