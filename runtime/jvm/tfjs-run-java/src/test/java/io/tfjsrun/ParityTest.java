package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Java answers what the CLI answers, to the bit, on the same bundle and rows; and both agree with
 * tfjs 4.22 in Node (the reference tests/build-fixtures.sh computed) within 1e-5.
 */
class ParityTest {

  @ParameterizedTest
  @ValueSource(strings = {"wine-layers-cpu", "wine-layers-wasm", "wine-graph-cpu", "wine-graph-wasm"})
  void javaEqualsCliBitForBitAndNodeWithin1e5(String name) throws Exception {
    Path bundle = Fixtures.bundle(name);
    float[][] rows = Fixtures.wineRows();
    float[][] cli = Fixtures.cliPredict(bundle, Fixtures.dir().resolve("wine.csv"));
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-" + name + ".csv"));
    assertEquals(178, rows.length);
    try (TfjsRuntime runtime = TfjsRuntime.open(bundle, RuntimeOptions.defaults().withThreads(2))) {
      // All rows in one call, each row alone, and through the async path: the same bits.
      float[][] whole = runtime.predict(rows);
      List<CompletableFuture<float[]>> async = new ArrayList<>();
      for (float[] row : rows) async.add(runtime.submit(row, 1));
      assertEquals(rows.length, whole.length);
      for (int r = 0; r < rows.length; r++) {
        assertArrayEquals(cli[r], whole[r], 0f, name + " row " + r + " (batch)");
        assertArrayEquals(cli[r], runtime.predict(rows[r], 1), 0f, name + " row " + r + " (one row)");
        assertArrayEquals(cli[r], async.get(r).get(), 0f, name + " row " + r + " (async)");
        assertArrayEquals(node[r], whole[r], 1e-5f, name + " row " + r + " against tfjs in Node");
      }
      BundleInfo info = runtime.info();
      assertEquals(name, info.name());
      assertEquals("test-1", info.version());
      assertEquals(name.endsWith("wasm") ? "wasm" : "cpu", info.backend());
      assertEquals(13, info.inputCols());
      assertEquals(3, info.outputCols());
      assertEquals("v1", info.contract());
    }
  }

  /** Native execution (docs/native.md) through Java: chosen by the option, told by BundleInfo. */
  @org.junit.jupiter.api.Test
  void nativeAndTfjsExecutionBothAgreeWithNode() throws Exception {
    Path bundle = Fixtures.bundle("wine-noapp");
    float[][] rows = Fixtures.readCsv(Fixtures.dir().resolve("random.csv"));
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-wine-noapp.csv"));
    for (RuntimeOptions.ModelExec exec : RuntimeOptions.ModelExec.values()) {
      RuntimeOptions options = RuntimeOptions.defaults().withThreads(2).withModelExec(exec);
      try (TfjsRuntime runtime = TfjsRuntime.open(bundle, options)) {
        assertEquals(exec == RuntimeOptions.ModelExec.TFJS ? "tfjs" : "native", runtime.info().modelExec(),
            runtime.info().modelExecNote());
        float[][] out = runtime.predict(rows);
        for (int r = 0; r < rows.length; r++) assertArrayEquals(node[r], out[r], 1e-5f, exec + " row " + r);
      }
    }
    TfjsException e = org.junit.jupiter.api.Assertions.assertThrows(TfjsException.class, () -> TfjsRuntime.open(
        Fixtures.bundle("int-input"), RuntimeOptions.defaults().withThreads(1).withModelExec(RuntimeOptions.ModelExec.NATIVE)));
    assertTrue(e.getMessage().contains("cannot run natively"), e.getMessage());
  }

  @org.junit.jupiter.api.Test
  void legacyTfjsOnFlinkBundle() throws Exception {
    Path bundle = Fixtures.bundle("legacy");
    float[][] rows = Fixtures.readCsv(Fixtures.dir().resolve("random.csv"));
    float[][] cli = Fixtures.cliPredict(bundle, Fixtures.dir().resolve("random.csv"));
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-legacy.csv"));
    try (TfjsRuntime runtime = TfjsRuntime.open(bundle, RuntimeOptions.defaults().withThreads(1))) {
      assertEquals("legacy", runtime.info().contract());
      float[][] out = runtime.predict(rows);
      for (int r = 0; r < rows.length; r++) {
        assertArrayEquals(cli[r], out[r], 0f, "legacy row " + r);
        assertArrayEquals(node[r], out[r], 1e-5f, "legacy row " + r + " against tfjs in Node");
      }
      assertTrue(out[0].length > 0);
    }
  }
}
