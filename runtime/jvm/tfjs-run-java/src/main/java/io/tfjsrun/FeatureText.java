package io.tfjsrun;

import java.util.regex.Pattern;

/**
 * One feature read from text, as the tfjs-run CLI reads it (runtime/cli/row_parser.cc): a finite
 * float32 written as a decimal number. NaN and infinity ("NaN", "-inf") and numbers outside
 * float32's range (1e39, which {@link Float#parseFloat} silently makes infinity) are refused,
 * because a model answers them with plausible-looking numbers rather than an error.
 *
 * <p>The grammar is the CLI's (C++ {@code std::from_chars} after an optional '+'), not Java's:
 * {@link Float#parseFloat} alone would also take "1f", "1d" and hex ("0x1p3"), which the CLI
 * refuses, so the same text would be a feature in one and a bad row in the other.
 */
public final class FeatureText {
  private FeatureText() {}

  // What std::from_chars reads as NaN or infinity, case-insensitively (refused here).
  private static final Pattern NON_FINITE =
      Pattern.compile("[+-]?(inf|infinity|nan|nan\\([0-9a-z_]*\\))", Pattern.CASE_INSENSITIVE);

  /**
   * The value of {@code text} (spaces and tabs around it allowed, and a '\r' at its end). Throws
   * IllegalArgumentException saying why it is not a feature, in the CLI's words: "empty field",
   * "'x7' is not a number", "'NaN' is not a finite number", "'1e39' is outside float32's range
   * (about +-3.4e38)". Callers add the line and column.
   */
  public static float parse(String text) {
    String t = trim(text);
    if (t.isEmpty()) throw new IllegalArgumentException("empty field");
    if (!isDecimal(t)) {
      if (NON_FINITE.matcher(t).matches()) throw new IllegalArgumentException(quote(t) + " is not a finite number");
      throw new IllegalArgumentException(quote(t) + " is not a number");
    }
    // Only decimal text gets here, which parseFloat rounds to the nearest float32 as from_chars does.
    float value = Float.parseFloat(t);
    if (Float.isFinite(value)) return value;
    throw new IllegalArgumentException(quote(t) + " is outside float32's range (about +-3.4e38)");
  }

  // One sign, digits with at most one '.' (at least one digit), and an optional exponent with
  // digits: "-1", "+.5", "5.", "3e-2". Not "1f", "0x1p3", "1e", "+-1", " 1" or "1_000".
  static boolean isDecimal(String t) {
    int i = 0;
    int n = t.length();
    if (i < n && (t.charAt(i) == '+' || t.charAt(i) == '-')) i++;
    int digits = 0;
    while (i < n && isDigit(t.charAt(i))) {
      i++;
      digits++;
    }
    if (i < n && t.charAt(i) == '.') {
      i++;
      while (i < n && isDigit(t.charAt(i))) {
        i++;
        digits++;
      }
    }
    if (digits == 0) return false;
    if (i < n && (t.charAt(i) == 'e' || t.charAt(i) == 'E')) {
      i++;
      if (i < n && (t.charAt(i) == '+' || t.charAt(i) == '-')) i++;
      int exponentDigits = 0;
      while (i < n && isDigit(t.charAt(i))) {
        i++;
        exponentDigits++;
      }
      if (exponentDigits == 0) return false;
    }
    return i == n;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  // The CLI's trim: spaces and tabs either side, and the '\r' of a CRLF line end.
  private static String trim(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) start++;
    while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t' || s.charAt(end - 1) == '\r')) end--;
    return s.substring(start, end);
  }

  private static String quote(String s) {
    return "'" + (s.length() <= 60 ? s : s.substring(0, 60) + "...") + "'";
  }
}
