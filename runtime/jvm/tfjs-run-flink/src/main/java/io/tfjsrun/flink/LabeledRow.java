package io.tfjsrun.flink;

import io.tfjsrun.FeatureText;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
   * One CSV line: the label in column {@code labelColumn}, every other column a feature. Quoting
   * is RFC 4180's, as the CLI reads it (runtime/cli/csv_record.h): a quoted field may hold commas
   * and doubled quotes, and a quoted number is a number. Throws IllegalArgumentException naming
   * the column and the text when the quoting is malformed or a feature is not a finite float32
   * (not a number, NaN, infinity, or past float32's range: see {@link FeatureText}).
   */
  public static LabeledRow parseCsv(String line, int labelColumn) {
    List<String> fields = splitCsv(line);
    if (labelColumn < 0 || labelColumn >= fields.size()) {
      throw new IllegalArgumentException("no label column " + labelColumn + " in a line of " + fields.size()
          + " fields: " + abbreviate(line));
    }
    float[] features = new float[fields.size() - 1];
    String label = null;
    for (int i = 0, f = 0; i < fields.size(); i++) {
      if (i == labelColumn) {
        label = fields.get(i).trim();
        continue;
      }
      try {
        features[f++] = FeatureText.parse(fields.get(i));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("column " + (i + 1) + ": " + e.getMessage() + ", in: " + abbreviate(line), e);
      }
    }
    return new LabeledRow(label, features);
  }

  /**
   * The fields of one line, unquoted. A quote opens a quoted field only at the start of a field
   * (after spaces or tabs, which are dropped); elsewhere it is an ordinary character, as in the CLI
   * and Python's csv module. After the closing quote only spaces or tabs may come before the
   * comma. Flink hands over one line at a time, so a quoted field cannot go on to the next line.
   */
  static List<String> splitCsv(String line) {
    List<String> fields = new ArrayList<>();
    int n = line.length();
    int i = 0;
    for (;;) {
      int j = i;
      while (j < n && isPadding(line.charAt(j))) j++;
      if (j == n || line.charAt(j) != '"') {  // unquoted: up to the next comma, as it is
        int comma = line.indexOf(',', i);
        fields.add(line.substring(i, comma < 0 ? n : comma));
        if (comma < 0) return fields;
        i = comma + 1;
        continue;
      }
      StringBuilder value = new StringBuilder();
      j++;
      for (;;) {
        int quote = line.indexOf('"', j);
        if (quote < 0) throw malformed(fields.size() + 1, "a quoted field that is never closed", line);
        value.append(line, j, quote);
        if (quote + 1 < n && line.charAt(quote + 1) == '"') {  // a doubled quote is one quote
          value.append('"');
          j = quote + 2;
          continue;
        }
        j = quote + 1;
        break;
      }
      while (j < n && (isPadding(line.charAt(j)) || (line.charAt(j) == '\r' && j + 1 == n))) j++;
      if (j < n && line.charAt(j) != ',') {
        throw malformed(fields.size() + 1, "text after the closing quote of a quoted field", line);
      }
      fields.add(value.toString());
      if (j == n) return fields;
      i = j + 1;
    }
  }

  private static boolean isPadding(char c) {
    return c == ' ' || c == '\t';
  }

  private static IllegalArgumentException malformed(int column, String what, String line) {
    return new IllegalArgumentException("column " + column + ": " + what + ", in: " + abbreviate(line));
  }

  static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }

  @Override
  public String toString() {
    return "LabeledRow[" + label + ", " + Arrays.toString(features) + "]";
  }
}
