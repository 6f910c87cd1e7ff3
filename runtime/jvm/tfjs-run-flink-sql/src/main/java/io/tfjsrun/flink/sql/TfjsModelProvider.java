package io.tfjsrun.flink.sql;

import io.tfjsrun.ModelSpec;
import io.tfjsrun.Prediction;
import io.tfjsrun.TfjsRuntime;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
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
 * native runtime per TaskManager per spec (as the DataStream functions do). For now the input columns
 * are the features in order (numeric columns, as floats) and the output is one ARRAY&lt;FLOAT&gt;.
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

  static Collection<RowData> output(float[] values) {
    Float[] boxed = new Float[values.length];
    for (int i = 0; i < values.length; i++) boxed[i] = values[i];
    return List.of(GenericRowData.of(new GenericArrayData(boxed)));
  }

  // Public: the planner's generated code refers to these classes.
  /** What both functions hold: the spec, the schema, and the runtime opened from the spec. */
  private static final class Opened implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final ModelSpec spec;
    final ModelSchema schema;
    transient TfjsRuntime runtime;

    Opened(ModelSpec spec, ModelSchema schema) {
      this.spec = spec;
      this.schema = schema;
    }

    void open() {
      runtime = spec.open();
    }

    void close() {
      if (runtime != null) runtime.close();
      runtime = null;
    }
  }

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
      return output(model.runtime.predict(model.schema.features(input), 1));
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
      float[] row;
      try {
        row = model.schema.features(input);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      return model.runtime.submitVersioned(row, 1).thenApply((Prediction p) -> output(p.values()));
    }

    @Override
    public void close() {
      model.close();
    }
  }
}
