package io.tfjsrun.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import io.tfjsrun.RuntimeOptions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checkpoints every 100 ms with the async operator in flight (or the batch operator, which
 * flushes before each barrier), then a failure after a completed checkpoint: Flink restarts the
 * job from that checkpoint (the async operator's in-flight records are part of its state and
 * are submitted again), and every record is answered exactly once, with tfjs in Node's answer.
 */
class CheckpointRestartTest {
  @RegisterExtension static final MiniClusterExtension CLUSTER = FlinkTests.cluster();

  static final AtomicBoolean CHECKPOINTED = new AtomicBoolean();
  static final AtomicBoolean THROWN = new AtomicBoolean();
  static final AtomicInteger OPENS = new AtomicInteger();

  /** Slows the stream down so the job spans many checkpoints: 1 ms per record per subtask (about 2.5 s). */
  static final class Throttle implements MapFunction<LabeledRow, LabeledRow> {
    private static final long serialVersionUID = 1L;
    private long seen;

    @Override
    public LabeledRow map(LabeledRow row) throws Exception {
      Thread.sleep(1);
      return row;
    }
  }

  /** Throws once, on the first record after a checkpoint completed (so the restart restores it). */
  static final class FailOnceAfterACheckpoint implements MapFunction<LabeledPrediction, LabeledPrediction>, CheckpointListener {
    private static final long serialVersionUID = 1L;

    @Override
    public LabeledPrediction map(LabeledPrediction p) {
      if (CHECKPOINTED.get() && THROWN.compareAndSet(false, true)) {
        throw new IllegalStateException("the test's one failure, at record " + p.label);
      }
      return p;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      CHECKPOINTED.set(true);
    }
  }

  /** Counts opens: each attempt opens the shared runtime again in the TaskManager. */
  static final class CountingAsync<IN, OUT> extends TfjsAsyncFunction<IN, OUT> {
    private static final long serialVersionUID = 1L;

    CountingAsync(TfjsModel model, FeatureExtractor<IN> features, ResultBuilder<IN, OUT> results,
                  org.apache.flink.api.common.typeinfo.TypeInformation<OUT> type) {
      super(model, features, results, type);
    }

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext context) throws Exception {
      super.open(context);
      OPENS.incrementAndGet();
    }
  }

  @SuppressWarnings("unchecked")
  @ParameterizedTest
  @ValueSource(strings = {"async", "batch"})
  void aJobRestartedFromACheckpointAnswersEveryRecordExactlyOnce(String how) throws Exception {
    CHECKPOINTED.set(false);
    THROWN.set(false);
    OPENS.set(0);
    String job = "checkpoint-restart-" + how;
    List<LabeledRow> input = FlinkTests.numberedWine(28);  // 4984 records
    float[][] node = FlinkTests.nodeReference("wine-layers-cpu");
    StreamExecutionEnvironment env = FlinkTests.restartingEnvironment();
    TfjsModel model = TfjsModel.bundle(Fixtures.bundle("wine-layers-cpu").toString())
        .withOptions(RuntimeOptions.defaults().withThreads(2));
    DataStream<LabeledRow> rows = env.fromData(input).map(new Throttle());
    DataStream<LabeledPrediction> predicted = how.equals("async")
        ? AsyncDataStream.unorderedWait(rows,
            new CountingAsync<LabeledRow, LabeledPrediction>(model, r -> r.features,
                (r, out, version) -> new LabeledPrediction(r.label, out, version),
                org.apache.flink.api.common.typeinfo.TypeInformation.of(LabeledPrediction.class)),
            30, TimeUnit.SECONDS, 64).name("predict")
        : TfjsBatchOperator.labeled(rows, model).name("predict");
    Map<String, LabeledPrediction> byId = new HashMap<>();
    try (var it = predicted.map(new FailOnceAfterACheckpoint()).executeAndCollect(job)) {
      while (it.hasNext()) {
        LabeledPrediction p = it.next();
        assertNull(byId.put(p.label, p), "record " + p.label + " answered twice");
      }
    }
    assertTrue(THROWN.get(), "the job failed once, after a completed checkpoint");
    assertEquals(input.size(), byId.size());
    for (int i = 0; i < input.size(); i++) {
      LabeledPrediction p = byId.get(Integer.toString(i));
      assertArrayEquals(FlinkTests.nodeAnswer(node, p.label), p.output, 1e-5f, "record " + i);
    }
    if (how.equals("async")) assertTrue(OPENS.get() >= 4, "2 subtasks opened, then again after the restart: " + OPENS.get());
    Map<String, Metric> restarts = FlinkTests.MemoryReporter.find(job, "numRestarts");
    assertEquals(1, restarts.size(), restarts.keySet().toString());
    assertEquals(1L, ((Gauge<Long>) restarts.values().iterator().next()).getValue());
    Map<String, Metric> checkpoints = FlinkTests.MemoryReporter.find(job, "numberOfCompletedCheckpoints");
    assertTrue(((Gauge<Long>) checkpoints.values().iterator().next()).getValue() >= 1);
  }
}
