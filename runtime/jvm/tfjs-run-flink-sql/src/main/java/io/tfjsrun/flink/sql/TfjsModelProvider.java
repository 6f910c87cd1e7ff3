package io.tfjsrun.flink.sql;

import io.tfjsrun.ModelSpec;
import io.tfjsrun.Prediction;
import io.tfjsrun.TfjsRuntime;
import io.tfjsrun.flink.SubtaskBatcher;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
    public void open(FunctionContext context) {
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
   * Gathers a subtask's rows in flight into multi-row requests (SubtaskBatcher, as the DataStream
   * TfjsAsyncFunction does): up to batch.max-rows per request, and while MAX_REQUESTS_IN_FLIGHT of
   * them are out the new rows wait for the next. It adds no wait of its own: batch.max-delay-us
   * still applies in the runtime. A failed request whose cause may be one row's is sent again row
   * by row, so each row gets its own error.
   */
  /** One row in flight: its features, and the future ML_PREDICT waits on (one object per row). */
  private static final class Pending extends CompletableFuture<Collection<RowData>> implements SubtaskBatcher.Entry {
    private final float[] row;
    private final OutputColumns output;

    Pending(float[] row, OutputColumns output) {
      this.row = row;
      this.output = output;
    }

    @Override
    public float[] row() {
      return row;
    }

    @Override
    public void answer(float[] values, String version) {
      try {
        complete(List.of(output.row(values, 0, values.length, version)));
      } catch (RuntimeException e) {
        completeExceptionally(e);
      }
    }

    @Override
    public void fail(Throwable error) {
      completeExceptionally(error);
    }
  }

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
    public void open(FunctionContext context) {
      model.open();
      int rows = Math.min(MAX_BATCH_ROWS, model.spec.options().maxBatchRows());
      batcher = new SubtaskBatcher(() -> model.runtime, rows, MAX_REQUESTS_IN_FLIGHT);
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData input) {
      ModelSchema schema = model.schema;
      float[] row;
      try {
        row = schema.features(input);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      if (row == null) return CompletableFuture.completedFuture(List.of(schema.output().nullRow()));
      Pending result = new Pending(row, schema.output());
      batcher.add(result);
      return result;
    }

    @Override
    public void close() {
      if (batcher != null) batcher.close();
      model.close();
    }
  }
}
