package io.tfjsrun.flink.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import io.tfjsrun.ModelSpec;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsRuntime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.catalog.CatalogModel;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.junit.jupiter.api.Test;

/**
 * The async function's batching, called as the planner's operator calls it (many rows in flight;
 * every other row through eval, as the planner calls it, the rest through asyncPredict) over the
 * probe bundle, which answers a row's sum and fails a row whose first feature is 13.
 */
class MlPredictBatchingTest {
  private static final int ROWS = 1000;
  private static final int UNLUCKY = 500;

  private static ModelSchema schema() {
    ResolvedSchema in = ResolvedSchema.of(Column.physical("a", DataTypes.FLOAT()),
        Column.physical("b", DataTypes.FLOAT()), Column.physical("c", DataTypes.FLOAT()));
    ResolvedSchema out = ResolvedSchema.of(Column.physical("s", DataTypes.FLOAT()),
        Column.physical("previous", DataTypes.FLOAT()), Column.physical("version", DataTypes.STRING()));
    CatalogModel model = CatalogModel.of(Schema.newBuilder().fromResolvedSchema(in).build(),
        Schema.newBuilder().fromResolvedSchema(out).build(), Map.of(), null);
    return ModelSchema.of(ResolvedCatalogModel.of(model, in, out), false);
  }

  /**
   * The planner's future, which fails when anything of Flink's AsyncPredictFunction (its eval's
   * chained stage) completes it: the provider's eval completes it itself.
   */
  private static final class ByProvider extends CompletableFuture<Collection<RowData>> {
    private static boolean fromFlinksEval() {
      return StackWalker.getInstance().walk(frames -> frames.anyMatch(
          f -> f.getClassName().equals("org.apache.flink.table.functions.AsyncPredictFunction")));
    }

    @Override
    public boolean complete(Collection<RowData> value) {
      return fromFlinksEval() ? super.completeExceptionally(new AssertionError("completed through Flink's eval"))
          : super.complete(value);
    }

    @Override
    public boolean completeExceptionally(Throwable error) {
      return super.completeExceptionally(fromFlinksEval() ? new AssertionError("failed through Flink's eval", error) : error);
    }
  }

  /** Sends ROWS rows at once (row i is i + 100, 1, 0; row UNLUCKY is 13, 1, 0) and returns the runtime's requests. */
  private static long predictAll(RuntimeOptions options) throws Exception {
    ModelSpec spec = ModelSpec.bundle(Fixtures.sourceFile("tests/fixtures/probe.js").toString()).withOptions(options);
    try (TfjsRuntime shared = spec.open()) {  // the runtime the function opens too: equal specs share one
      TfjsModelProvider.Async function = new TfjsModelProvider.Async(spec, schema());
      function.open(null);
      List<CompletableFuture<Collection<RowData>>> results = new ArrayList<>();
      try {
        for (int i = 0; i < ROWS; i++) {
          float a = i == UNLUCKY ? 13 : i + 100;
          if (i % 2 == 0) {  // as the planner calls it
            CompletableFuture<Collection<RowData>> result = new ByProvider();
            function.eval(result, a, 1f, 0f);
            results.add(result);
          } else {
            results.add(function.asyncPredict(GenericRowData.of(a, 1f, 0f)));
          }
        }
        for (int i = 0; i < ROWS; i++) {
          CompletableFuture<Collection<RowData>> r = results.get(i);
          if (i == UNLUCKY) {
            ExecutionException e = assertThrows(ExecutionException.class,
                () -> r.get(30, TimeUnit.SECONDS));
            // Through eval, the failure names the input row, as Flink's own eval does.
            assertTrue(e.getCause().getMessage().contains("with input row +I(13.0,1.0,0.0)"), e.getCause().getMessage());
            assertTrue(e.getCause().getCause().getMessage().contains("unlucky row 0"), e.getCause().getCause().getMessage());
            continue;
          }
          RowData row = r.get(30, TimeUnit.SECONDS).iterator().next();
          assertEquals(i + 101f, row.getFloat(0), "row " + i);
          assertEquals("1.0.0", row.getString(2).toString(), "row " + i);
        }
      } finally {
        function.close();
      }
      return shared.stats().totalRequests();
    }
  }

  /**
   * The runtime holds a request up to 2 ms for more rows, so that the loop adding rows outpaces its
   * answers on any machine (without it, a runtime answering faster than rows arrive makes small
   * batches, and the counts below depend on the race).
   */
  private static RuntimeOptions slowAnswers() {
    return RuntimeOptions.defaults().withThreads(1).withMaxBatchDelayMicros(2000);
  }

  @Test
  void thePlannersCallsAreAnsweredByTheProvidersOwnEval() {
    // Flink 2.3's AsyncPredictFunction.eval only chains a future: the provider's eval replaces it.
    assertTrue(TfjsModelProvider.Async.PLAIN_FLINK_EVAL, "Flink's AsyncPredictFunction declares more than asyncPredict and eval");
  }

  @Test
  void aNullFeatureFailsThroughEvalNamingTheColumnAndTheRow() throws Exception {
    ModelSpec spec = ModelSpec.bundle(Fixtures.sourceFile("tests/fixtures/probe.js").toString());
    TfjsModelProvider.Async function = new TfjsModelProvider.Async(spec, schema());
    function.open(null);
    try {
      CompletableFuture<Collection<RowData>> result = new ByProvider();
      function.eval(result, 1f, null, 0f);
      ExecutionException e = assertThrows(ExecutionException.class, () -> result.get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("with input row +I(1.0,null,0.0)"), e.getCause().getMessage());
      assertTrue(e.getCause().getCause().getMessage().contains("INPUT column 'b' is NULL"),
          e.getCause().getCause().getMessage());
    } finally {
      function.close();
    }
  }

  @Test
  void rowsInFlightGoInBatchesAndABadRowFailsAlone() throws Exception {
    long requests = predictAll(slowAnswers());
    // Batches of up to 64 rows (the runtime's batch.max-rows), the failed one sent again row by row.
    assertTrue(requests < ROWS / 4, requests + " requests for " + ROWS + " rows");
  }

  @Test
  void noRequestHasMoreRowsThanBatchMaxRows() throws Exception {
    long requests = predictAll(slowAnswers().withMaxBatchRows(4));
    assertTrue(requests >= ROWS / 4 && requests < ROWS, requests + " requests for " + ROWS + " rows");
  }
}
