package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What info() reports of the bundle being served, feature names and outputs included. */
class BundleInfoTest {
  private static final RuntimeOptions ONE = RuntimeOptions.defaults().withThreads(1);
  private static final Path PROBE = Fixtures.sourceFile("tests/fixtures/probe.js");

  /** The probe bundle (3 columns in, 2 out), declaring feature names as model-bundler --feature-names does. */
  private static byte[] probeNamed(String names) throws Exception {
    String js = Files.readString(PROBE, StandardCharsets.UTF_8)
        + "\nglobalThis.tfjsRunBundle.featureNames = " + names + ";\n";
    return js.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void featureNamesAreThoseTheBundleDeclaresInItsOrder() throws Exception {
    try (TfjsRuntime runtime = TfjsRuntime.open(probeNamed("['zeta', 'alpha', 'mid dle']"), "named.js", ONE)) {
      BundleInfo info = runtime.info();
      assertEquals(List.of("zeta", "alpha", "mid dle"), info.featureNames());
      assertEquals(3, info.inputCols());
      assertEquals(2, info.outputCols());
      assertEquals(6f, runtime.predict(new float[] {1, 2, 3}, 1)[0], 0f);
    }
  }

  @Test
  void withoutDeclaredNamesTheListIsEmpty() throws Exception {
    try (TfjsRuntime runtime = TfjsRuntime.open(PROBE, ONE)) {
      assertTrue(runtime.info().featureNames().isEmpty());
    }
  }

  @Test
  void namesThatCannotBeMatchedFailTheOpenNamingTheField() throws Exception {
    TfjsException e = org.junit.jupiter.api.Assertions.assertThrows(TfjsException.class,
        () -> TfjsRuntime.open(probeNamed("['a', 'a', 'b']"), "twice.js", ONE));
    assertEquals(TfjsException.Kind.CONTRACT, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("tfjsRunBundle.featureNames names 'a' twice"), e.getMessage());
  }

  @Test
  void outputsAreTheModelsHeadsWithTheirColumnsInTheOutputRow() throws Exception {
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("multi-out"), ONE)) {
      BundleInfo info = runtime.info();
      assertEquals(List.of(new BundleInfo.Output("head_0", 0, 5), new BundleInfo.Output("head_1", 5, 7),
          new BundleInfo.Output("head_2", 7, 14)), info.outputs());
      assertEquals(7, info.outputs().get(2).columns());
      assertEquals(14, info.outputCols());
    }
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle("multi-out-app"), ONE)) {
      assertEquals(List.of(new BundleInfo.Output("postprocess", 0, 12)), runtime.info().outputs());
    }
  }

  @Test
  void withoutDeclaredOutputsTheirListIsEmptyAndCannotBeChanged() throws Exception {
    try (TfjsRuntime runtime = TfjsRuntime.open(PROBE, ONE)) {
      List<BundleInfo.Output> outputs = runtime.info().outputs();
      assertTrue(outputs.isEmpty());
      org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
          () -> outputs.add(new BundleInfo.Output("x", 0, 1)));
    }
  }
}
