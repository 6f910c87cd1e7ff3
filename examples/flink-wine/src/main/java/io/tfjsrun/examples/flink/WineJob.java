package io.tfjsrun.examples.flink;

import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.WatchOptions;
import io.tfjsrun.flink.LabeledPrediction;
import io.tfjsrun.flink.LabeledRow;
import io.tfjsrun.flink.TfjsAsyncFunction;
import io.tfjsrun.flink.TfjsModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * tf.js-on-flink's example job on tfjs-run: wine rows (label + 13 measurements) in, each one
 * predicted by the bundle, and the accuracy of every window of N predictions printed.
 *
 * <pre>
 *   flink run -c io.tfjsrun.examples.flink.WineJob flink-wine-0.1.0.jar BUNDLE_OR_URL wine.data [WINDOW]
 * </pre>
 *
 * BUNDLE_OR_URL is a bundle file present on every TaskManager, or an http(s) URL / directory
 * with a published manifest (docs/publishing.md), which the job then follows: publish a new
 * version and the running job switches to it without losing a record.
 */
public final class WineJob {
  private WineJob() {}

  /** The model a job argument names: a bundle file, or a published source to follow. */
  public static TfjsModel model(String bundleOrSource) {
    boolean watched = bundleOrSource.startsWith("http://") || bundleOrSource.startsWith("https://")
        || bundleOrSource.startsWith("file://") || Files.isDirectory(Path.of(bundleOrSource));
    TfjsModel model = watched ? TfjsModel.watching(WatchOptions.of(bundleOrSource)) : TfjsModel.bundle(bundleOrSource);
    return model.withOptions(RuntimeOptions.defaults());  // a worker per core, shared by the subtasks
  }

  /** wine.data: the cultivar (1-3), then 13 measurements, per line. */
  public static List<LabeledRow> readWine(Path file) throws Exception {
    List<LabeledRow> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (!line.isBlank()) rows.add(LabeledRow.parseCsv(line, 0));
    }
    return rows;
  }

  /** The prediction step: many records in flight per subtask, in input order. */
  public static DataStream<LabeledPrediction> predict(DataStream<LabeledRow> rows, TfjsModel model) {
    return AsyncDataStream.orderedWait(rows, TfjsAsyncFunction.labeled(model), 10, TimeUnit.SECONDS, 256);
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: WineJob BUNDLE_OR_URL wine.data [WINDOW]");
      System.exit(2);
    }
    int window = args.length > 2 ? Integer.parseInt(args[2]) : 89;  // 178 rows: two full windows
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    accuracy(env, readWine(Path.of(args[1])), model(args[0]), window).print();
    env.execute("tfjs-run wine");
  }

  /** The whole job: the rows predicted, and one accuracy line per window of {@code window} predictions. */
  public static DataStream<String> accuracy(StreamExecutionEnvironment env, List<LabeledRow> wine, TfjsModel model,
                                            int window) {
    DataStream<LabeledRow> rows = env.fromData(wine).rebalance();
    return predict(rows, model).countWindowAll(window).apply(new AccuracyWindow());
  }
}
