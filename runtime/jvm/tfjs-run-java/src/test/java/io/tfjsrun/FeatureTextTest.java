package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Features read from text are finite float32s, as in the CLI. */
class FeatureTextTest {
  static String refusal(String text) {
    return assertThrows(IllegalArgumentException.class, () -> FeatureText.parse(text)).getMessage();
  }

  @Test
  void numbersAreReadAsFloat32() {
    assertEquals(13.2f, FeatureText.parse(" 13.2 "));
    assertEquals(Float.MAX_VALUE, FeatureText.parse("3.4028235e38"));
    assertEquals(0f, FeatureText.parse("1e-50"));  // underflow is a zero, as tfjs reads it
  }

  @Test
  void nanAndInfinityAreRefused() {
    assertEquals("'NaN' is not a finite number", refusal("NaN"));
    assertEquals("'-Infinity' is not a finite number", refusal(" -Infinity"));
    assertEquals("'Infinity' is not a finite number", refusal("Infinity"));
  }

  @Test
  void numbersPastFloat32AreRefusedNotMadeInfinite() {
    assertEquals("'1e39' is outside float32's range (about +-3.4e38)", refusal("1e39"));
    assertEquals("'-1e400' is outside float32's range (about +-3.4e38)", refusal("-1e400"));
  }

  @Test
  void textIsRefused() {
    assertEquals("'x7' is not a number", refusal("x7"));
  }
}
