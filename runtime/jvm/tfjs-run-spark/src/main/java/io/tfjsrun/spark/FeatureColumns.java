package io.tfjsrun.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Where a row's features are: one array column (array of float, double or any number), or
 * named numeric columns. When the bundle declares feature names, named columns are matched to
 * them by name and read in the bundle's order, whatever order they are listed in (a listing in
 * another order would otherwise feed the model shuffled features); without declared names they
 * are read in the order listed. Checked against the Dataset's schema before a
 * task runs; each value is checked as it is read (null, NaN, infinite and numbers past float32
 * are refused, naming the row and column: a silently wrong feature is a silently wrong answer).
 */
public final class FeatureColumns implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String[] names;
  private final boolean array;
  private int[] indices;  // set by bind(), for the schema the tasks will see

  private FeatureColumns(String[] names, boolean array) {
    this.names = names;
    this.array = array;
  }

  /** One column holding the whole feature row as an array of numbers. */
  public static FeatureColumns array(String column) {
    return new FeatureColumns(new String[] {Objects.requireNonNull(column)}, true);
  }

  /**
   * Numeric columns, one feature each: the bundle's declared feature names, in any order, or,
   * for a bundle that declares none, its inputs in order.
   */
  public static FeatureColumns named(String... columns) {
    if (columns.length == 0) throw new IllegalArgumentException("tfjs-run: no feature columns named");
    return new FeatureColumns(columns.clone(), false);
  }

  public static FeatureColumns named(List<String> columns) {
    return named(columns.toArray(new String[0]));
  }

  /** A copy bound to {@code schema}: the columns exist and have the right types. */
  FeatureColumns bind(StructType schema) {
    FeatureColumns bound = new FeatureColumns(names, array);
    bound.indices = new int[names.length];
    for (int i = 0; i < names.length; i++) {
      int index;
      try {
        index = schema.fieldIndex(names[i]);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("tfjs-run: no feature column '" + names[i] + "' in " + schema.simpleString(), e);
      }
      StructField field = schema.fields()[index];
      DataType type = field.dataType();
      boolean ok = array ? type instanceof ArrayType a && a.elementType() instanceof NumericType : type instanceof NumericType;
      if (!ok) {
        throw new IllegalArgumentException("tfjs-run: feature column '" + names[i] + "' is " + type.simpleString()
            + ", not " + (array ? "an array of numbers" : "a number"));
      }
      bound.indices[i] = index;
    }
    return bound;
  }

  /**
   * This binding with its named columns in the order of {@code declared}, the bundle's feature
   * names; as it is when the bundle declares none, or for an array column. Throws
   * IllegalArgumentException naming a declared feature that is not among the columns, or a
   * column that is not a declared feature.
   */
  FeatureColumns inModelOrder(List<String> declared) {
    if (array || declared.isEmpty()) return this;
    List<String> listed = Arrays.asList(names);
    for (String name : names) {
      if (!declared.contains(name)) {
        throw new IllegalArgumentException("tfjs-run: feature column '" + name + "' is not a feature of the bundle,"
            + " which declares " + declared);
      }
    }
    FeatureColumns ordered = new FeatureColumns(declared.toArray(new String[0]), false);
    ordered.indices = new int[declared.size()];
    for (int i = 0; i < declared.size(); i++) {
      int at = listed.indexOf(declared.get(i));
      if (at < 0) {
        throw new IllegalArgumentException("tfjs-run: the bundle's feature '" + declared.get(i)
            + "' is not among the feature columns " + listed);
      }
      ordered.indices[i] = indices[at];
    }
    return ordered;
  }

  /** The features of {@code row}; {@code where} names it in errors (e.g. "partition 3, row 17"). */
  float[] read(Row row, String where) {
    if (array) {
      int index = indices[0];
      if (row.isNullAt(index)) throw refused(where, names[0], "is null");
      List<Object> values = row.getList(index);
      float[] out = new float[values.size()];
      for (int i = 0; i < out.length; i++) out[i] = toFloat(values.get(i), where, names[0] + "[" + i + "]");
      return out;
    }
    float[] out = new float[names.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = row.isNullAt(indices[i]) ? toFloat(null, where, names[i]) : toFloat(row.get(indices[i]), where, names[i]);
    }
    return out;
  }

  /** Whether {@code row} has a null where a feature is (the array column, or one of its elements). */
  boolean hasNull(Row row) {
    for (int index : indices) {
      if (row.isNullAt(index)) return true;
      if (array && row.getList(index).contains(null)) return true;
    }
    return false;
  }

  static boolean hasNull(scala.collection.Seq<?> values) {
    for (int i = 0; i < values.size(); i++) {
      if (values.apply(i) == null) return true;
    }
    return false;
  }

  /**
   * Throws IllegalArgumentException naming {@code model} and both counts when the model declares
   * an input width ({@code inputCols} &gt;= 0) that is not {@code given}: the runtime would refuse
   * the rows anyway, but not saying which model and which columns.
   */
  static void checkCount(String model, long inputCols, int given, String where) {
    if (inputCols >= 0 && inputCols != given) {
      throw new IllegalArgumentException("tfjs-run: " + where + ", model '" + model + "' takes " + inputCols
          + " features, given " + given);
    }
  }

  /** The features of a SQL function's argument (an array of numbers). */
  static float[] readArray(scala.collection.Seq<?> values, String where) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) out[i] = toFloat(values.apply(i), where, "features[" + i + "]");
    return out;
  }

  static float toFloat(Object value, String where, String column) {
    if (value == null) throw refused(where, column, "is null");
    if (!(value instanceof Number n)) throw refused(where, column, "is not a number: " + value.getClass().getName());
    double d = n.doubleValue();
    if (Double.isNaN(d) || Double.isInfinite(d)) throw refused(where, column, "is " + d);
    float f = (float) d;
    if (Float.isInfinite(f)) throw refused(where, column, "is " + d + ", past float32's range");
    return f;
  }

  private static IllegalArgumentException refused(String where, String column, String what) {
    return new IllegalArgumentException("tfjs-run: " + where + ", feature column '" + column + "' " + what);
  }

  @Override
  public String toString() {
    return (array ? "array column " : "columns ") + Arrays.toString(names);
  }
}
