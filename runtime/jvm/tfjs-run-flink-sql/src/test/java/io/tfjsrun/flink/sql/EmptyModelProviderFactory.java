package io.tfjsrun.flink.sql;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;

/**
 * {@code 'provider' = 'bench-empty'}: a model provider that does nothing. Its async function answers
 * each row at once, inside the planner's call, with the same three scores, reading no feature and
 * running no model. So ML_PREDICT async over it costs what the planner's operator chain costs, and
 * its rate bounds what any provider can reach there (MlPredictThroughputBench's sql-async-empty).
 */
public final class EmptyModelProviderFactory implements ModelProviderFactory {
  @Override
  public String factoryIdentifier() {
    return "bench-empty";
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of();
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of();
  }

  @Override
  public ModelProvider createModelProvider(Context context) {
    return new Provider();
  }

  private static final class Provider implements AsyncPredictRuntimeProvider {
    @Override
    public AsyncPredictFunction createAsyncPredictFunction(ModelProvider.Context context) {
      return new Answer();
    }

    @Override
    public ModelProvider copy() {
      return new Provider();
    }
  }

  /** Answers every row with one shared output row. */
  public static final class Answer extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;
    private static final Collection<RowData> SCORES =
        List.of(GenericRowData.of(new GenericArrayData(new float[] {0.25f, 0.5f, 0.25f})));

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData input) {
      return CompletableFuture.completedFuture(SCORES);
    }

    @Override
    public void eval(CompletableFuture<Collection<RowData>> future, Object... args) {
      future.complete(SCORES);
    }
  }
}
