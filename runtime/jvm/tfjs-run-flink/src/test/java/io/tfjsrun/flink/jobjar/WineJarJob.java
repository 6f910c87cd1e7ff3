package io.tfjsrun.flink.jobjar;

import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.flink.LabeledPrediction;
import io.tfjsrun.flink.LabeledRow;
import io.tfjsrun.flink.TfjsAsyncFunction;
import io.tfjsrun.flink.TfjsModel;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The job that JarSubmissionTest packages into a jar (with tfjs-run's classes and natives) and
 * submits as `flink run` does: the wine rows through TfjsAsyncFunction at parallelism 2, each
 * answer checked against tfjs in Node's, a summary line written to a file.
 *
 * <p>Arguments: BUNDLE NODE_REFERENCE_CSV WINE_CSV COPIES OUT_FILE [FAIL_ONCE_MARKER]. With a
 * marker path that does not exist yet, the first attempt creates it and fails after the
 * predictions; Flink restarts the job. Every class loader that runs this job's code registers a
 * weak reference to itself in the system properties, so the test can tell whether Flink could
 * unload it.
 */
public final class WineJarJob {
  private WineJarJob() {}

  static void registerLoader(ClassLoader loader) {
    System.getProperties().put("tfjs.test.loader." + UUID.randomUUID(), new WeakReference<>(loader));
  }

  /** Fails the first attempt whose marker file it creates. */
  static final class FailOnce extends RichMapFunction<LabeledPrediction, LabeledPrediction> {
    private static final long serialVersionUID = 1L;
    private final String marker;

    FailOnce(String marker) {
      this.marker = marker;
    }

    @Override
    public void open(OpenContext context) throws Exception {
      registerLoader(getClass().getClassLoader());
    }

    @Override
    public LabeledPrediction map(LabeledPrediction p) throws Exception {
      if (!marker.isEmpty() && Integer.parseInt(p.label) == 100) {
        try {
          Files.createFile(Path.of(marker));
        } catch (java.nio.file.FileAlreadyExistsException e) {
          return p;
        }
        throw new IllegalStateException("the test's one failure");
      }
      return p;
    }
  }

  static float[][] csv(String path) throws Exception {
    List<float[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(path))) {
      if (line.isBlank()) continue;
      String[] f = line.split(",");
      float[] row = new float[f.length];
      for (int i = 0; i < f.length; i++) row[i] = Float.parseFloat(f[i].trim());
      rows.add(row);
    }
    return rows.toArray(new float[0][]);
  }

  public static void main(String[] args) throws Exception {
    registerLoader(WineJarJob.class.getClassLoader());
    float[][] node = csv(args[1]);
    float[][] wine = csv(args[2]);
    int copies = Integer.parseInt(args[3]);
    String marker = args.length > 5 ? args[5] : "";
    List<LabeledRow> input = new ArrayList<>();
    for (int i = 0; i < wine.length * copies; i++) input.add(new LabeledRow(Integer.toString(i), wine[i % wine.length]));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    Configuration conf = new Configuration();
    conf.setString("restart-strategy.type", "fixed-delay");
    conf.setString("restart-strategy.fixed-delay.attempts", "2");
    conf.setString("restart-strategy.fixed-delay.delay", "50 ms");
    env.configure(conf);
    env.setParallelism(2);
    env.enableCheckpointing(100);  // the collecting client survives a restart only with checkpoints
    TfjsModel model = TfjsModel.bundle(args[0]).withOptions(RuntimeOptions.defaults().withThreads(2));
    DataStream<LabeledPrediction> out = AsyncDataStream.unorderedWait(env.fromData(input).rebalance(),
        TfjsAsyncFunction.labeled(model), 30, TimeUnit.SECONDS, 64).map(new FailOnce(marker));
    Map<String, LabeledPrediction> byId = new HashMap<>();
    try (var it = out.executeAndCollect("wine jar job")) {
      it.forEachRemaining(p -> byId.put(p.label, p));
    }
    double worst = 0;
    for (int i = 0; i < input.size(); i++) {
      LabeledPrediction p = byId.get(Integer.toString(i));
      if (p == null) throw new AssertionError("record " + i + " has no answer");
      float[] expected = node[i % node.length];
      for (int c = 0; c < expected.length; c++) worst = Math.max(worst, Math.abs(expected[c] - p.output[c]));
    }
    if (worst > 1e-5) throw new AssertionError("an answer differs from tfjs in Node's by " + worst);
    Files.writeString(Path.of(args[4]), "answered " + byId.size() + " of " + input.size() + ", worst difference " + worst + "\n");
  }
}
