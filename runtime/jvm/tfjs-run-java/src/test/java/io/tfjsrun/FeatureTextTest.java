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
    assertEquals("empty field", refusal(" \t"));
  }

  @Test
  void theGrammarIsTheClisDecimalsWithOneSign() {
    assertEquals(0.5f, FeatureText.parse("+.5"));
    assertEquals(5f, FeatureText.parse("5."));
    assertEquals(-0.03f, FeatureText.parse("-3E-2"));
    assertEquals(1.5f, FeatureText.parse("\t1.5\r"));  // the CLI's trim: spaces, tabs, a CRLF's '\r'
    assertEquals(Float.MIN_VALUE, FeatureText.parse("1.4e-45"));  // a subnormal, as from_chars reads it
  }

  @Test
  void javaOnlyNumberSyntaxIsRefusedAsTheCliRefusesIt() {
    // Float.parseFloat takes every one of these; the CLI reads none of them as a number.
    for (String text : new String[] {"1f", "1d", "1F", "2.5D", "0x1p3", "0X10", "1e", "1e+", ".", "-", "+", "+-1",
        "--1", "1_000", "1,5"}) {
      assertEquals("'" + text + "' is not a number", refusal(text), text);
    }
    assertEquals("'1 2' is not a number", refusal("1 2"));
  }

  @Test
  void theClisSpellingsOfNanAndInfinityAreNotFinite() {
    for (String text : new String[] {"nan", "-NAN", "nan(abc_1)", "inf", "+Inf", "-infinity", "INFINITY"}) {
      assertEquals("'" + text + "' is not a finite number", refusal(text), text);
    }
    assertEquals("'infin' is not a number", refusal("infin"));
  }
}
