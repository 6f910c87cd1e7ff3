package io.tfjsrun;

/**
 * One feature read from text, as the tfjs-run CLI reads it: a finite float32. NaN and infinity
 * ("NaN", "-Infinity") and numbers outside float32's range (1e39, which {@link Float#parseFloat}
 * silently makes infinity) are refused, because a model answers them with plausible-looking
 * numbers rather than an error.
 */
public final class FeatureText {
  private FeatureText() {}

  /**
   * The value of {@code text} (surrounding spaces allowed). Throws IllegalArgumentException saying
   * why it is not a feature: "'x7' is not a number", "'NaN' is not a finite number", "'1e39' is
   * outside float32's range (about +-3.4e38)". Callers add the line and column.
   */
  public static float parse(String text) {
    String t = text.trim();
    float value;
    try {
      value = Float.parseFloat(t);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(quote(t) + " is not a number", e);
    }
    if (Float.isFinite(value)) return value;
    if (t.contains("NaN") || t.contains("Infinity")) {
      throw new IllegalArgumentException(quote(t) + " is not a finite number");
    }
    throw new IllegalArgumentException(quote(t) + " is outside float32's range (about +-3.4e38)");
  }

  private static String quote(String s) {
    return "'" + (s.length() <= 60 ? s : s.substring(0, 60) + "...") + "'";
  }
}
