package io.tfjsrun.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.RuntimeOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Flink's own async timeout, for real: a bundle whose predict takes 300 ms under a 100 ms
 * timeout. By default the record fails the job with an error naming the bundle and version; a
 * subclass's {@code timeout()} gets the record and answers a fallback, which is what the job
 * emits: the late prediction does not replace it or add a second answer.
 */
class AsyncTimeoutTest {
  @RegisterExtension static final MiniClusterExtension CLUSTER = FlinkTests.cluster();

  private static TfjsModel slow() throws Exception {
    Path bundle = Path.of(AsyncTimeoutTest.class.getResource("/slow-bundle.js").toURI());
    return TfjsModel.bundle(bundle.toString()).withOptions(RuntimeOptions.defaults().withThreads(1));
  }

  private static StreamExecutionEnvironment env() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    Configuration conf = new Configuration();
    conf.setString("restart-strategy.type", "none");
    env.configure(conf);
    env.setParallelism(1);
    return env;
  }

  static final class WithFallback extends TfjsAsyncFunction<float[], float[]> {
    private static final long serialVersionUID = 1L;

    WithFallback(TfjsModel model) {
      super(model, row -> row, (row, output, version) -> output);
    }

    @Override
    public void timeout(float[] row, ResultFuture<float[]> result) {
      result.complete(List.of(new float[] {-1}));
    }
  }

  @Test
  void theTimeoutFailsTheJobNamingTheBundleAndVersion() throws Exception {
    StreamExecutionEnvironment env = env();
    var out = AsyncDataStream.orderedWait(env.fromData(new float[] {1, 2, 3}, new float[] {4, 5, 6}),
        TfjsAsyncFunction.rows(slow()), 100, TimeUnit.MILLISECONDS, 4);
    Exception e = assertThrows(Exception.class, () -> {
      try (var it = out.executeAndCollect("timeout-fails")) {
        it.forEachRemaining(x -> {});
      }
    });
    // Flink ships the task's failure to the client as a SerializedThrowable carrying the original's text.
    String chain = "";
    for (Throwable cause = e; cause != null; cause = cause.getCause()) chain += cause + "\n";
    assertTrue(chain.contains(TimeoutException.class.getName() + ": tfjs-run: no prediction within Flink's async "
        + "timeout for bundle 'slow' version s1"), chain);
  }

  @Test
  void anOverriddenTimeoutAnswersEachRecordOnceAndTheLatePredictionIsDropped() throws Exception {
    StreamExecutionEnvironment env = env();
    var out = AsyncDataStream.orderedWait(env.fromData(new float[] {1, 2, 3}, new float[] {4, 5, 6}),
        new WithFallback(slow()), 100, TimeUnit.MILLISECONDS, 4);
    List<float[]> results = new ArrayList<>();
    try (var it = out.executeAndCollect("timeout-fallback")) {
      it.forEachRemaining(results::add);
    }
    assertEquals(2, results.size());
    for (float[] r : results) assertEquals(-1f, r[0]);
  }
}
