package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What info() reports of the bundle being served, feature names included. */
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
}
