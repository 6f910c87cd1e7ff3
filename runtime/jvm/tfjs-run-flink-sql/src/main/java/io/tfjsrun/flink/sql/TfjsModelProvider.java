package io.tfjsrun.flink.sql;

import io.tfjsrun.ModelSpec;
import io.tfjsrun.Prediction;
import io.tfjsrun.TfjsRuntime;
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
 * Both of ML_PREDICT's runtimes over one spec: the async one through the runtime's submit, the sync
 * one through its blocking predict. Each function opens the spec in {@code open()}, which shares one
 * native runtime per TaskManager per spec (as the DataStream functions do), and checks the model's
 * schema against the bundle served there.
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

  public static final class Async extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;
    private final Opened model;

    Async(ModelSpec spec, ModelSchema schema) {
      this.model = new Opened(spec, schema);
    }

    @Override
    public void open(FunctionContext context) {
      model.open();
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
      return model.runtime.submitVersioned(row, 1).thenApply(p -> Opened.output(schema, p));
    }

    @Override
    public void close() {
      model.close();
    }
  }
}
