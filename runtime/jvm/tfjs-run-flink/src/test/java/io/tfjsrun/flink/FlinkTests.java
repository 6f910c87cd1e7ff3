package io.tfjsrun.flink;

import io.tfjsrun.Fixtures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

/**
 * What the MiniCluster tests share: a real Flink MiniCluster (1 TaskManager, 4 slots) with an
 * in-memory metric reporter, and the wine rows with tfjs-in-Node's answers for them.
 */
public final class FlinkTests {
  private FlinkTests() {}

  public static final int SLOTS = 4;

  /** A MiniCluster for a test class's {@code @RegisterExtension static} field. */
  public static MiniClusterExtension cluster() {
    Configuration conf = new Configuration();
    conf.setString("metrics.reporter.memory.factory.class", MemoryReporter.Factory.class.getName());
    conf.setString("metrics.reporter.memory.interval", "100 ms");
    return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
        .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(SLOTS).setConfiguration(conf).build());
  }

  /**
   * An environment for the restore tests: parallelism 2, a checkpoint every 100 ms, and a failed
   * job restarted (from its last completed checkpoint) up to 3 times, 100 ms apart.
   */
  public static StreamExecutionEnvironment restartingEnvironment() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    Configuration conf = new Configuration();
    conf.setString("restart-strategy.type", "fixed-delay");
    conf.setString("restart-strategy.fixed-delay.attempts", "3");
    conf.setString("restart-strategy.fixed-delay.delay", "100 ms");
    env.configure(conf);
    env.setParallelism(2);
    env.enableCheckpointing(100);
    return env;
  }

  /** A wine row numbered by its place in the stream, which the output carries as its label. */
  public static List<LabeledRow> numberedWine(int copies) throws IOException {
    float[][] rows = Fixtures.wineRows();
    List<LabeledRow> out = new ArrayList<>();
    for (int i = 0; i < rows.length * copies; i++) out.add(new LabeledRow(Integer.toString(i), rows[i % rows.length]));
    return out;
  }

  /** tfjs in Node's answer for numbered record {@code id} (tests/build-fixtures.sh's reference). */
  public static float[] nodeAnswer(float[][] node, String id) {
    return node[Integer.parseInt(id) % node.length];
  }

  public static float[][] nodeReference(String bundle) throws IOException {
    return Fixtures.readCsv(Fixtures.dir().resolve("ref-" + bundle + ".csv"));
  }

  /**
   * Keeps every metric the MiniCluster registers, by its identifier, also after the job that
   * registered it ended (so a test reads the final counts).
   */
  public static final class MemoryReporter implements MetricReporter {
    static final Map<String, Metric> METRICS = new ConcurrentHashMap<>();

    public static final class Factory implements MetricReporterFactory {
      @Override
      public MetricReporter createMetricReporter(Properties properties) {
        return new MemoryReporter();
      }
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
      METRICS.put(group.getMetricIdentifier(name), metric);
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {}

    /** The metrics whose identifier contains every one of {@code parts}. */
    public static Map<String, Metric> find(String... parts) {
      Map<String, Metric> out = new java.util.TreeMap<>();
      METRICS.forEach((id, metric) -> {
        for (String part : parts) if (!id.contains(part)) return;
        out.put(id, metric);
      });
      return out;
    }

    public static void clear() {
      METRICS.clear();
    }
  }
}
