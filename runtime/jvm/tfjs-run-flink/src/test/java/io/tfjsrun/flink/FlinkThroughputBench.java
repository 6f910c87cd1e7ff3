package io.tfjsrun.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsRuntime;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Rows/s of the same model inside a real MiniCluster at parallelism 2, each shape in its own job,
 * alternated rep by rep (tools/bench-flink.sh runs it; skipped unless -Dtfjs.bench.onnx is set):
 *
 * <ul>
 *   <li>{@code tfjs-async}: TfjsAsyncFunction, 256 records in flight per subtask, one record each;
 *   <li>{@code tfjs-map}: TfjsMapFunction, one record per call;
 *   <li>{@code tfjs-batch}: TfjsBatchOperator, 1024 records per predict call;
 *   <li>{@code ort-batched}: ONNX Runtime's Java API, one session per TaskManager, one intra-op
 *       thread per slot, in a function that gathers 1024 records per session.run, as the batch
 *       operator does;
 *   <li>{@code noop-async}: Flink's async operator alone (each record completed at once), its ceiling;
 *   <li>{@code ort-map}: the same session, one record per session.run.
 * </ul>
 *
 * Records come from a parallel sequence source mapped to the wine rows; throughput is counted
 * between the first and the last answer seen by the sink side, so job start-up is left out.
 */
class FlinkThroughputBench {
  @RegisterExtension static final MiniClusterExtension CLUSTER = FlinkTests.cluster();

  static final AtomicLong FIRST = new AtomicLong(Long.MAX_VALUE);
  static final AtomicLong LAST = new AtomicLong();
  static final AtomicLong COUNT = new AtomicLong();
  static volatile float[][] ROWS;
  // ONNX Runtime gathers as many records per run as our batch operator does.
  static final int BATCH = TfjsBatchOperator.DEFAULT_MAX_ROWS;

  /** Stamps the time of each answer. */
  static final class Clock extends RichMapFunction<float[], float[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public float[] map(float[] out) {
      long now = System.nanoTime();
      FIRST.accumulateAndGet(now, Math::min);
      LAST.accumulateAndGet(now, Math::max);
      COUNT.incrementAndGet();
      return out;
    }
  }

  /** One ONNX Runtime session per TaskManager (this JVM), shared by the subtasks. */
  static final class Ort {
    private static OrtSession session;
    private static int users;

    static synchronized OrtSession acquire(String model) throws Exception {
      if (session == null) {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = OrtEnvironment.getEnvironment().createSession(model, options);
      }
      users++;
      return session;
    }

    static synchronized void release() throws Exception {
      if (--users == 0) {
        session.close();
        session = null;
      }
    }

    static float[][] run(OrtSession s, float[] flat, int rows, int cols) throws Exception {
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(flat), new long[] {rows, cols});
           OrtSession.Result r = s.run(Map.of(s.getInputNames().iterator().next(), x))) {
        return (float[][]) r.get(0).getValue();
      }
    }
  }

  /** Gathers BATCH records per session.run; the bench sends each subtask a multiple of BATCH. */
  static final class OrtBatched extends RichFlatMapFunction<float[], float[]> {
    private static final long serialVersionUID = 1L;
    private final String model;
    private transient OrtSession session;
    private transient float[] buffer;
    private transient int rows;

    OrtBatched(String model) {
      this.model = model;
    }

    @Override
    public void open(OpenContext context) throws Exception {
      session = Ort.acquire(model);
    }

    @Override
    public void close() throws Exception {
      Ort.release();
    }

    @Override
    public void flatMap(float[] row, Collector<float[]> out) throws Exception {
      if (buffer == null) buffer = new float[BATCH * row.length];
      System.arraycopy(row, 0, buffer, rows * row.length, row.length);
      if (++rows == BATCH) {
        for (float[] y : Ort.run(session, buffer, BATCH, row.length)) out.collect(y);
        rows = 0;
      }
    }
  }

  static final class OrtMap extends RichMapFunction<float[], float[]> {
    private static final long serialVersionUID = 1L;
    private final String model;
    private transient OrtSession session;

    OrtMap(String model) {
      this.model = model;
    }

    @Override
    public void open(OpenContext context) throws Exception {
      session = Ort.acquire(model);
    }

    @Override
    public float[] map(float[] row) throws Exception {
      return Ort.run(session, row, 1, row.length)[0];
    }

    @Override
    public void close() throws Exception {
      Ort.release();
    }
  }

  /** Flink's async operator alone: each record answered at once with a constant, on the task thread. */
  static final class NoopAsync extends org.apache.flink.streaming.api.functions.async.RichAsyncFunction<float[], float[]> {
    private static final long serialVersionUID = 1L;
    private static final float[] OUT = {0, 0, 0};

    @Override
    public void asyncInvoke(float[] row, org.apache.flink.streaming.api.functions.async.ResultFuture<float[]> result) {
      result.complete(List.of(OUT));
    }
  }

  private static String ratio(double[] r, List<String> shapes, String a, String b) {
    int i = shapes.indexOf(a);
    int j = shapes.indexOf(b);
    return i < 0 || j < 0 ? "" : String.format("%.2f", r[i] / r[j]);
  }

  private static double run(String shape, long records, String bundle, String onnx) throws Exception {
    FIRST.set(Long.MAX_VALUE);
    LAST.set(0);
    COUNT.set(0);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    DataStream<float[]> rows = env.fromSequence(0, records - 1)
        .map(i -> ROWS[(int) (i % ROWS.length)]).returns(PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO);
    TfjsModel model = TfjsModel.bundle(bundle).withOptions(RuntimeOptions.defaults());
    DataStream<float[]> out = switch (shape) {
      case "tfjs-async" -> AsyncDataStream.unorderedWait(rows, TfjsAsyncFunction.rows(model), 60, TimeUnit.SECONDS, 256);
      case "tfjs-map" -> rows.map(TfjsMapFunction.rows(model));
      case "tfjs-batch" -> TfjsBatchOperator.rows(rows, model);
      case "ort-batched" -> rows.flatMap(new OrtBatched(onnx)).returns(PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO);
      case "ort-map" -> rows.map(new OrtMap(onnx));
      case "noop-async" -> AsyncDataStream.unorderedWait(rows, new NoopAsync(), 60, TimeUnit.SECONDS, 256);
      default -> throw new IllegalArgumentException(shape);
    };
    out.map(new Clock()).sinkTo(new DiscardingSink<>());
    env.execute(shape);
    assertEquals(records, COUNT.get(), shape + ": every record answered");
    return COUNT.get() / ((LAST.get() - FIRST.get()) / 1e9);
  }

  @Test
  void rowsPerSecondOfEachShape() throws Exception {
    String onnx = System.getProperty("tfjs.bench.onnx");
    assumeTrue(onnx != null, "a benchmark: tools/bench-flink.sh runs it");
    String bundle = System.getProperty("tfjs.bench.bundle");
    ROWS = io.tfjsrun.Fixtures.readCsv(Path.of(System.getProperty("tfjs.bench.rows")));
    int reps = Integer.getInteger("tfjs.bench.reps", 3);
    long records = Long.getLong("tfjs.bench.records", 2L * BATCH * 2000);  // per job; a multiple of 2 * BATCH
    // The two engines compute the same function: compare them on the rows first.
    try (TfjsRuntime runtime = TfjsRuntime.open(Path.of(bundle), RuntimeOptions.defaults().withThreads(1))) {
      float[][] ours = runtime.predict(ROWS);
      OrtSession s = Ort.acquire(onnx);
      float[] flat = new float[ROWS.length * ROWS[0].length];
      for (int r = 0; r < ROWS.length; r++) System.arraycopy(ROWS[r], 0, flat, r * ROWS[0].length, ROWS[0].length);
      float[][] theirs = Ort.run(s, flat, ROWS.length, ROWS[0].length);
      Ort.release();
      double worst = 0;
      for (int r = 0; r < ours.length; r++) for (int c = 0; c < ours[r].length; c++) worst = Math.max(worst, Math.abs(ours[r][c] - theirs[r][c]));
      System.out.printf("agreement: tfjs-run and ONNX Runtime differ by at most %.2g on the %d rows%n", worst, ROWS.length);
      assumeTrue(worst < 1e-5, "the ONNX model computes what the bundle computes");
    }
    String[] shapes = System.getProperty("tfjs.bench.shapes", "tfjs-batch,ort-batched,tfjs-async,noop-async,tfjs-map,ort-map").split(",");
    StringBuilder table = new StringBuilder("| rep | " + String.join(" | ", shapes) + " | batch / ort-batched | async / ort-batched | map / ort-map |\n|");
    for (int i = 0; i < shapes.length + 4; i++) table.append("---|");
    table.append("\n");
    List<String> order = List.of(shapes);
    for (int rep = 1; rep <= reps; rep++) {
      double[] r = new double[shapes.length];
      for (int i = 0; i < shapes.length; i++) r[i] = run(shapes[i], shapes[i].endsWith("map") ? records / 8 : records, bundle, onnx);
      table.append("| ").append(rep);
      for (double v : r) table.append(String.format(" | %.0f", v));
      table.append(String.format(" | %s | %s | %s |%n", ratio(r, order, "tfjs-batch", "ort-batched"),
          ratio(r, order, "tfjs-async", "ort-batched"), ratio(r, order, "tfjs-map", "ort-map")));
    }
    System.out.println("rows/s, parallelism 2, " + records + " records per job (map shapes: " + records / 8 + ")\n" + table);
  }
}
