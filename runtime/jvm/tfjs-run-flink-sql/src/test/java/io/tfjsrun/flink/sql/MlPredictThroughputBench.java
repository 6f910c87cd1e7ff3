package io.tfjsrun.flink.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tfjsrun.Fixtures;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.flink.TfjsAsyncFunction;
import io.tfjsrun.flink.TfjsModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.FloatType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

/**
 * Rows/s of ML_PREDICT (async, 256 in flight, unordered) against the DataStream async function
 * (TfjsAsyncFunction, unorderedWait, 256 in flight) on the same rows and the same bundle, in a local
 * MiniCluster at parallelism 2, each shape its own job, alternated rep by rep; each rep runs with
 * Flink's default copies between chained operators and again with pipeline.object-reuse. Both
 * runtimes have batch.max-rows 256, so the SQL model sends requests of up to 256 rows, as the
 * DataStream function does, and both runtimes batch alike; -Dtfjs.bench.modelExec sets model-exec
 * in both. A job's rate is taken once warm, over the last three quarters of its records. The SQL
 * shapes take the rows in and give them out as the table's own rows (RowData), as a SQL source and
 * sink connector do; sql-sync is ML_PREDICT's sync function (a JS-free native model
 * runs on the task's thread); sql-no-model is that plan without the model (what the plan
 * costs per row); sql-async-row is ML_PREDICT with the rows converted from and to
 * DataStream&lt;Row&gt; around it, as a job mixing the DataStream and Table APIs has them.
 * sql-async-empty is ML_PREDICT async over a provider that answers each row at once and runs no
 * model (EmptyModelProviderFactory), and stream-async-empty its DataStream twin, an async function
 * that does the same: the first bounds what any provider can reach in ML_PREDICT async, and the
 * two apart are what the planner's operator chain costs per row beyond the DataStream one's.
 * tools/bench-flink-sql.sh runs it; skipped unless -Dtfjs.bench.bundle is set.
 */
class MlPredictThroughputBench {
  static final AtomicLong LAST = new AtomicLong();     // when the last record was answered
  static final AtomicLong COUNT = new AtomicLong();
  static final AtomicLong WARM_AT = new AtomicLong();  // when the first quarter of the records was answered
  static volatile long WARM;                           // a quarter of the records
  static volatile long TOTAL;                          // the records
  static volatile float[][] ROWS;
  static volatile GenericRowData[] INTERNAL;  // ROWS as the table's rows
  // Where the model's math runs, in both shapes: auto (the wine model runs natively), or tfjs.
  static final String MODEL_EXEC = System.getProperty("tfjs.bench.modelExec", "auto");

  /** Counts the answers, and stamps when the first quarter of them and the last was answered. */
  static final class Clock<T> implements MapFunction<T, Integer> {
    private static final long serialVersionUID = 1L;

    @Override
    public Integer map(T out) {
      long now = System.nanoTime();
      long n = COUNT.incrementAndGet();
      if (n == WARM) WARM_AT.set(now);
      if (n == TOTAL) LAST.set(now);
      return 0;
    }
  }

  /** Answers each row at once with the same scores: the DataStream twin of the bench-empty provider. */
  static final class EmptyAsync implements AsyncFunction<float[], float[]> {
    private static final long serialVersionUID = 1L;
    private static final List<float[]> SCORES = List.of(new float[] {0.25f, 0.5f, 0.25f});

    @Override
    public void asyncInvoke(float[] row, ResultFuture<float[]> result) {
      result.complete(SCORES);
    }
  }

  private static double run(String shape, long records, String bundle, boolean objectReuse) throws Exception {
    LAST.set(0);
    COUNT.set(0);
    WARM_AT.set(0);
    WARM = Math.max(1, records / 4);
    TOTAL = records;
    Configuration conf = new Configuration();
    conf.setString("taskmanager.memory.network.min", "128mb");
    conf.setString("taskmanager.memory.network.max", "128mb");
    conf.setString("pipeline.object-reuse", Boolean.toString(objectReuse));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(2);
    DataStream<Long> sequence = env.fromSequence(0, records - 1);
    int cols = ROWS[0].length;
    DataStream<?> out;
    if (shape.startsWith("stream-async")) {
      DataStream<float[]> rows = sequence.map(i -> ROWS[(int) (i % ROWS.length)])
          .returns(PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO);
      AsyncFunction<float[], float[]> function;
      if (shape.equals("stream-async-empty")) {
        function = new EmptyAsync();
      } else {
        // The runtime options the SQL model sets below, so that both shapes' runtimes batch alike.
        function = TfjsAsyncFunction.rows(TfjsModel.bundle(bundle).withOptions(RuntimeOptions.defaults()
            .withMaxBatchRows(256).withModelExec(RuntimeOptions.ModelExec.valueOf(MODEL_EXEC.toUpperCase(java.util.Locale.ROOT)))));
      }
      out = AsyncDataStream.unorderedWait(rows, function, 60, TimeUnit.SECONDS, 256);
    } else {
      String[] names = new String[cols];
      TypeInformation<?>[] types = new TypeInformation<?>[cols];
      LogicalType[] logical = new LogicalType[cols];
      StringJoiner columns = new StringJoiner(", ");
      for (int c = 0; c < cols; c++) {
        names[c] = "f" + c;
        types[c] = Types.FLOAT;
        logical[c] = new FloatType();
        columns.add(names[c]);
      }
      StreamTableEnvironment tables = StreamTableEnvironment.create(env);
      boolean external = shape.endsWith("-row");
      if (external) {  // through DataStream<Row>: the planner converts every row in and out
        DataStream<Row> rows = sequence.map(i -> {
          float[] r = ROWS[(int) (i % ROWS.length)];
          Row row = new Row(r.length);
          for (int c = 0; c < r.length; c++) row.setField(c, r[c]);
          return row;
        }).returns(Types.ROW_NAMED(names, types));
        tables.createTemporaryView("wines", rows);
      } else {  // the table's own rows (RowData), as a SQL connector hands them over
        DataStream<RowData> rows = sequence.map(i -> (RowData) INTERNAL[(int) (i % INTERNAL.length)])
            .returns(InternalTypeInfo.of(RowType.of(logical, names)));
        tables.createTemporaryView("wines", rows);
      }
      // The model: the wine bundle, with requests of up to 256 rows as TfjsAsyncFunction sends; or,
      // for sql-async-empty, the provider that answers at once.
      boolean empty = shape.equals("sql-async-empty");
      String model = empty ? "no_model" : "wine";
      String with = empty ? "'provider' = 'bench-empty'"
          : "'provider' = 'tfjs', 'bundle' = '" + bundle + "', 'batch.max-rows' = '256', 'model-exec' = '" + MODEL_EXEC + "'";
      tables.executeSql("CREATE TEMPORARY MODEL " + model + " INPUT (" + columns.toString().replace(",", " FLOAT,")
          + " FLOAT) OUTPUT (scores ARRAY<FLOAT>) WITH (" + with + ")");
      String predict = "SELECT scores FROM ML_PREDICT(TABLE wines, MODEL " + model + ", DESCRIPTOR(" + columns + "), ";
      String query = shape.startsWith("sql-async")
          ? predict + "MAP['async', 'true', 'max-concurrent-operations', '256', 'output-mode', 'allow_unordered'])"
          : shape.equals("sql-sync") ? predict + "MAP['async', 'false'])"
          : "SELECT * FROM wines";  // sql-no-model
      Table result = tables.sqlQuery(query);
      out = external ? tables.toDataStream(result)
          : tables.toDataStream(result, result.getResolvedSchema().toPhysicalRowDataType().bridgedTo(RowData.class));
    }
    out.map(new Clock<>()).returns(Types.INT).sinkTo(new DiscardingSink<>());
    env.execute(shape);
    assertEquals(records, COUNT.get(), shape + ": every record answered");
    // The rate once warm: from the answer that completes the first quarter to the last. Each SQL
    // job generates (and the JIT compiles) its own operator classes, where the DataStream job's are
    // warm from the jobs before it, so the first rows measure the compiler more than the shape.
    return (records - WARM) / ((LAST.get() - WARM_AT.get()) / 1e9);
  }

  @Test
  void rowsPerSecondOfEachShape() throws Exception {
    String bundle = System.getProperty("tfjs.bench.bundle");
    assumeTrue(bundle != null, "a benchmark: tools/bench-flink-sql.sh runs it");
    ROWS = Fixtures.readCsv(Path.of(System.getProperty("tfjs.bench.rows")));
    INTERNAL = new GenericRowData[ROWS.length];
    for (int r = 0; r < ROWS.length; r++) {
      INTERNAL[r] = new GenericRowData(ROWS[r].length);
      for (int c = 0; c < ROWS[r].length; c++) INTERNAL[r].setField(c, ROWS[r][c]);
    }
    int reps = Integer.getInteger("tfjs.bench.reps", 3);
    long records = Long.getLong("tfjs.bench.records", 4_000_000L);
    // The shapes to run, in this order (-Dtfjs.bench.shapes); one repeated, e.g. under a profiler.
    List<String> known = List.of("sql-async", "stream-async", "sql-sync", "sql-no-model", "sql-async-row",
        "sql-async-empty", "stream-async-empty");
    List<String> shapes = List.of(System.getProperty("tfjs.bench.shapes", String.join(",", known)).split(","));
    for (String shape : shapes) {
      if (!known.contains(shape)) throw new IllegalArgumentException("no shape '" + shape + "'; the shapes are " + known);
    }
    List<String> versus = shapes.stream().filter(s -> !List.of("stream-async", "sql-no-model", "stream-async-empty")
        .contains(s)).toList();
    boolean ratios = shapes.contains("stream-async");
    boolean overhead = ratios && shapes.contains("sql-async");
    boolean operator = shapes.contains("sql-async-empty") && shapes.contains("stream-async-empty");
    StringBuilder table = new StringBuilder("| rep | object reuse | " + String.join(" | ", shapes));
    if (ratios) for (String s : versus) table.append(" | ").append(s).append(" / stream-async");
    if (overhead) table.append(" | planner's µs per row (async)");
    if (operator) table.append(" | planner's µs per row (empty)");
    int columns = 2 + shapes.size() + (ratios ? versus.size() : 0) + (overhead ? 1 : 0) + (operator ? 1 : 0);
    table.append(" |\n|").append("---|".repeat(columns)).append("\n");
    for (int rep = 1; rep <= reps; rep++) {
      for (String reuseSetting : System.getProperty("tfjs.bench.objectReuse", "false,true").split(",")) {
        boolean reuse = Boolean.parseBoolean(reuseSetting);
        Map<String, Double> rate = new LinkedHashMap<>();
        table.append("| ").append(rep).append(" | ").append(reuse ? "on" : "off");
        for (String shape : shapes) {
          double r = run(shape, records, bundle, reuse);
          rate.put(shape, r);
          table.append(String.format(" | %.0f", r));
        }
        if (ratios) {
          double stream = rate.get("stream-async");
          for (String s : versus) table.append(String.format(" | %.2f", rate.get(s) / stream));
          if (overhead) table.append(String.format(" | %.2f", 1e6 / rate.get("sql-async") - 1e6 / stream));
        }
        if (operator) {
          table.append(String.format(" | %.2f", 1e6 / rate.get("sql-async-empty") - 1e6 / rate.get("stream-async-empty")));
        }
        table.append(" |\n");
      }
    }
    System.out.println("rows/s once warm (the last three quarters of each job), parallelism 2, " + records
        + " records per job, model-exec " + MODEL_EXEC + "\n" + table);
  }
}
