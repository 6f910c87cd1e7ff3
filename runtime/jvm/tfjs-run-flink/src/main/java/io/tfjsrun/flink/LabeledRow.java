package io.tfjsrun.flink;

import io.tfjsrun.FeatureText;
import java.io.Serializable;
import java.util.Arrays;

/**
 * tf.js-on-flink's record shape: a label and the feature row (for the wine example, the cultivar
 * and the 13 measurements of one line of wine.data).
 */
public final class LabeledRow implements Serializable {
  private static final long serialVersionUID = 1L;

  public final String label;
  public final float[] features;

  public LabeledRow(String label, float[] features) {
    this.label = label;
    this.features = features;
  }

  /**
   * One CSV line: the label in column {@code labelColumn}, every other column a feature.
   * Throws IllegalArgumentException naming the column and the text when a field is not a finite
   * float32 (not a number, NaN, infinity, or past float32's range: see {@link FeatureText}).
   */
  public static LabeledRow parseCsv(String line, int labelColumn) {
    String[] fields = line.split(",", -1);
    if (labelColumn < 0 || labelColumn >= fields.length) {
      throw new IllegalArgumentException("no label column " + labelColumn + " in a line of " + fields.length
          + " fields: " + abbreviate(line));
    }
    float[] features = new float[fields.length - 1];
    String label = null;
    for (int i = 0, f = 0; i < fields.length; i++) {
      if (i == labelColumn) {
        label = fields[i].trim();
        continue;
      }
      try {
        features[f++] = FeatureText.parse(fields[i]);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("column " + (i + 1) + ": " + e.getMessage() + ", in: " + abbreviate(line), e);
      }
    }
    return new LabeledRow(label, features);
  }

  static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }

  @Override
  public String toString() {
    return "LabeledRow[" + label + ", " + Arrays.toString(features) + "]";
  }
}
