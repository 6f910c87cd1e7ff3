package io.tfjsrun.examples.flink.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import io.tfjsrun.TfjsRuntime;
import io.tfjsrun.flink.FlinkTests;
import io.tfjsrun.flink.KafkaBroker;
import io.tfjsrun.flink.ModelUpdate;
import io.tfjsrun.flink.ModelUpdateSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The example job against a real Kafka broker in a MiniCluster: v1 serves the wine rows, v2 is
 * published during the run and serves the rest, and the job reports each version's accuracy,
 * equal to the accuracy of that bundle through the plain TfjsRuntime.
 */
class ModelStreamJobTest {
  @RegisterExtension static final MiniClusterExtension CLUSTER = FlinkTests.cluster();
  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  static ModelUpdate version(String version, String fixture) throws Exception {
    Path bundle = Fixtures.bundle(fixture);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(bundle)));
    return ModelUpdate.reference("wine", version, bundle.toUri().toString(), sha);
  }

  static long correct(String fixture, List<WineRow> rows) {
    try (TfjsRuntime rt = TfjsRuntime.open(Fixtures.bundle(fixture))) {
      return rows.stream().filter(r -> Answer.of(r, rt.predict(r.features, 1), "").correct).count();
    }
  }

  @SuppressWarnings("unchecked")
  static void awaitServing(String job, String version) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < deadline) {
      Map<String, Metric> gauges = FlinkTests.MemoryReporter.find(job, "model.wine.version");
      if (!gauges.isEmpty() && gauges.values().stream().allMatch(g -> version.equals(((Gauge<String>) g).getValue()))) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("version " + version + " did not serve in time");
  }

  @Test
  void twoVersionsPublishedDuringTheRunReportTheirAccuracy() throws Exception {
    String job = "model-stream-example";
    KAFKA.createTopic("wine-rows", 1);
    KAFKA.createTopic("wine-models", 1);
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(Fixtures.sourceFile("examples/wine/data/wine.data"))) {
      if (!line.isBlank()) lines.add("wine," + line);
    }
    List<WineRow> rows = lines.stream().map(WineRow::parse).toList();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    var data = ModelStreamJob.source(KAFKA.bootstrapServers(), "wine-rows", new SimpleStringSchema(),
        OffsetsInitializer.offsets(Map.of(new TopicPartition("wine-rows", 0), 2L * lines.size())));
    var updates = ModelStreamJob.source(KAFKA.bootstrapServers(), "wine-models", new ModelUpdateSchema(),
        OffsetsInitializer.offsets(Map.of(new TopicPartition("wine-models", 0), 2L)));
    List<String> report = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = KAFKA.producer();
         CloseableIterator<String> it = ModelStreamJob.build(env, data, updates).executeAndCollect(job)) {
      KafkaBroker.send(producer, "wine-models", 0, ModelUpdateSchema.encode(version("v1", "wine-layers-cpu")));
      awaitServing(job, "v1");
      for (String line : lines) KafkaBroker.send(producer, "wine-rows", 0, line.getBytes(StandardCharsets.UTF_8));
      while (report.size() < lines.size() && it.hasNext()) report.add(it.next());
      KafkaBroker.send(producer, "wine-models", 0, ModelUpdateSchema.encode(version("v2", "wine-graph-cpu")));
      awaitServing(job, "v2");
      for (String line : lines) KafkaBroker.send(producer, "wine-rows", 0, line.getBytes(StandardCharsets.UTF_8));
      while (it.hasNext()) report.add(it.next());
    }
    System.out.println(report.get(lines.size() - 1) + " / " + report.get(report.size() - 1));
    assertEquals(2 * lines.size(), report.size(), "one report line per row, no rejections, nothing unserved");
    int n = lines.size();
    assertTrue(report.contains("model wine version v1: " + correct("wine-layers-cpu", rows) + "/" + n + " correct"),
        String.join("\n", report));
    assertTrue(report.contains("model wine version v2: " + correct("wine-graph-cpu", rows) + "/" + n + " correct"),
        String.join("\n", report));
  }
}
