package io.tfjsrun.flink.sql;

import io.tfjsrun.ModelSpec;
import io.tfjsrun.Prediction;
import io.tfjsrun.TfjsRuntime;
import io.tfjsrun.flink.SubtaskBatcher;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.table.api.TableException;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.ml.PredictRuntimeProvider;

/**
 * Both of ML_PREDICT's runtimes over one spec: the async one through the runtime's submit, a
 * subtask's rows in flight gathered into batches, the sync one through its blocking predict. Each
 * function opens the spec in {@code open()}, which shares one native runtime per TaskManager per
 * spec (as the DataStream functions do), and checks the model's schema against the bundle served
 * there.
 */
public final class TfjsModelProvider implements PredictRuntimeProvider, AsyncPredictRuntimeProvider {
  private final ModelSpec spec;
  private final ModelSchema schema;

  TfjsModelProvider(ModelSpec spec, ModelSchema schema) {
    this.spec = spec;
    this.schema = schema;
  }

  @Override
  public PredictFunction createPredictFunction(ModelProvider.Context context) {
    return new Sync(spec, schema);
  }

  @Override
  public AsyncPredictFunction createAsyncPredictFunction(ModelProvider.Context context) {
    return new Async(spec, schema);
  }

  @Override
  public ModelProvider copy() {
    return new TfjsModelProvider(spec, schema);
  }

  /** What both functions hold: the spec, the schema, and the runtime opened from the spec. */
  private static final class Opened implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final ModelSpec spec;
    final ModelSchema planned;
    transient TfjsRuntime runtime;
    transient ModelSchema schema;  // the planned one bound to the bundle the runtime serves

    Opened(ModelSpec spec, ModelSchema planned) {
      this.spec = spec;
      this.planned = planned;
    }

    void open() {
      runtime = spec.open();
      try {
        schema = planned.bind(runtime.info());
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }

    static Collection<RowData> output(ModelSchema schema, Prediction p) {
      return List.of(schema.output().row(p.values(), 0, p.output().cols(), p.version()));
    }

    void close() {
      if (runtime != null) runtime.close();
      runtime = null;
    }
  }

  // Public: the planner's generated code refers to these classes.
  public static final class Sync extends PredictFunction {
    private static final long serialVersionUID = 1L;
    private final Opened model;

    Sync(ModelSpec spec, ModelSchema schema) {
      this.model = new Opened(spec, schema);
    }

    @Override
    public void open(FunctionContext context) throws Exception {
      super.open(context);  // a later Flink's base class sets up its metrics here
      model.open();
    }

    @Override
    public Collection<RowData> predict(RowData input) {
      float[] row = model.schema.features(input);
      if (row == null) return List.of(model.schema.output().nullRow());
      return Opened.output(model.schema, model.runtime.predictVersioned(row, 1));
    }

    @Override
    public void close() {
      model.close();
    }
  }

  /**
   * One row in flight: its features, and the future ML_PREDICT waits on. A row that came through
   * {@link Async#eval} also keeps its input, which a failure names as Flink's own eval does.
   */
  private static final class Pending implements SubtaskBatcher.Entry {
    private final float[] row;
    private final OutputColumns output;
    private final CompletableFuture<Collection<RowData>> future;
    private final RowData input;  // null when asyncPredict was called directly

    Pending(float[] row, OutputColumns output, CompletableFuture<Collection<RowData>> future, RowData input) {
      this.row = row;
      this.output = output;
      this.future = future;
      this.input = input;
    }

    @Override
    public float[] row() {
      return row;
    }

    @Override
    public void answer(float[] values, String version) {
      RowData out;
      try {
        out = output.row(values, 0, values.length, version);
      } catch (RuntimeException e) {
        fail(e);
        return;
      }
      future.complete(List.of(out));
    }

    @Override
    public void fail(Throwable error) {
      future.completeExceptionally(naming(input, error));
    }

    /** The error as Flink's own eval gives it, naming the input row; as it is for a direct asyncPredict. */
    static Throwable naming(RowData input, Throwable error) {
      return input == null ? error
          : new TableException(String.format("Failed to execute asynchronously prediction with input row %s.", input), error);
    }

    @Override
    public boolean isDone() {
      return future.isDone();
    }
  }

  /**
   * Gathers a subtask's rows in flight into multi-row requests (SubtaskBatcher, as the DataStream
   * TfjsAsyncFunction does): up to batch.max-rows per request, and while MAX_REQUESTS_IN_FLIGHT of
   * them are out the new rows wait for the next. It adds no wait of its own: batch.max-delay-us
   * still applies in the runtime. A failed request whose cause may be one row's is sent again row
   * by row, so each row gets its own error.
   */
  public static final class Async extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;
    /** Rows per request at most (fewer when batch.max-rows says so), and requests out at once. */
    static final int MAX_BATCH_ROWS = 256;
    static final int MAX_REQUESTS_IN_FLIGHT = 2;
    private final Opened model;
    private transient SubtaskBatcher batcher;

    Async(ModelSpec spec, ModelSchema schema) {
      this.model = new Opened(spec, schema);
    }

    @Override
    public void open(FunctionContext context) throws Exception {
      super.open(context);  // a later Flink's base class sets up its metrics here
      model.open();
      int rows = Math.min(MAX_BATCH_ROWS, model.spec.options().maxBatchRows());
      batcher = new SubtaskBatcher(() -> model.runtime, rows, MAX_REQUESTS_IN_FLIGHT);
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData input) {
      CompletableFuture<Collection<RowData>> result = new CompletableFuture<>();
      predict(input, result, null);
      return result;
    }

    /**
     * What the planner calls for each row. Flink's own eval chains a second future to
     * asyncPredict's, whose completion then runs one more stage per row on the runtime's worker
     * thread; this completes the planner's future itself and wraps a failure as that eval does.
     * Only over the AsyncPredictFunction whose eval is that plain chain ({@link #PLAIN_FLINK_EVAL});
     * a Flink whose class does more there (a later one counts requests in it) keeps its own eval.
     */
    @Override
    public void eval(CompletableFuture<Collection<RowData>> future, Object... args) {
      if (!PLAIN_FLINK_EVAL) {
        super.eval(future, args);
        return;
      }
      GenericRowData input = GenericRowData.of(args);
      predict(input, future, input);
    }

    /**
     * Whether Flink's AsyncPredictFunction has the shape of Flink 2.3's, which this module builds
     * against: no fields, and no methods but asyncPredict, eval and the one lambda eval chains. The
     * check reads the class's shape, not eval's body; a Flink that keeps state or counts requests
     * there (a later one declares open, a metrics field and more methods) fails it and keeps its
     * own eval.
     */
    static final boolean PLAIN_FLINK_EVAL = plainFlinkEval();

    private static boolean plainFlinkEval() {
      Method[] methods = AsyncPredictFunction.class.getDeclaredMethods();
      long lambdas = Arrays.stream(methods).filter(Method::isSynthetic).count();
      return AsyncPredictFunction.class.getDeclaredFields().length == 0 && lambdas <= 1
          && Arrays.stream(methods).allMatch(m -> m.isSynthetic() || m.getName().equals("asyncPredict")
              || m.getName().equals("eval"));
    }

    private void predict(RowData input, CompletableFuture<Collection<RowData>> future, RowData named) {
      ModelSchema schema = model.schema;
      float[] row;
      try {
        row = schema.features(input);
      } catch (RuntimeException e) {
        future.completeExceptionally(Pending.naming(named, e));
        return;
      }
      if (row == null) {
        future.complete(List.of(schema.output().nullRow()));
        return;
      }
      batcher.add(new Pending(row, schema.output(), future, named));
    }

    @Override
    public void close() {
      if (batcher != null) batcher.close();
      model.close();
    }
  }
}
