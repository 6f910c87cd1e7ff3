package io.tfjsrun.flink.sql;

import io.tfjsrun.BundleInfo;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.StringJoiner;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/**
 * A 'tfjs' model's OUTPUT: the model's output row as one ARRAY&lt;FLOAT&gt; column, or as one FLOAT
 * column per output value in the model's order (a model with several heads gives them in its output
 * row one after another), and, optionally, a {@code version STRING} column with the bundle version
 * that computed the row (it changes as a watched model reloads).
 */
final class OutputColumns implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String VERSION = "version";

  private final String[] names;
  private final int arrayColumn;     // the ARRAY<FLOAT> column, or -1
  private final int[] floatColumns;  // the FLOAT columns in the model's output order (empty with an array)
  private final int versionColumn;   // or -1

  private OutputColumns(String[] names, int arrayColumn, int[] floatColumns, int versionColumn) {
    this.names = names;
    this.arrayColumn = arrayColumn;
    this.floatColumns = floatColumns;
    this.versionColumn = versionColumn;
  }

  static OutputColumns of(List<Column> columns) {
    String[] names = new String[columns.size()];
    int arrayColumn = -1, versionColumn = -1, floats = 0;
    int[] floatColumns = new int[columns.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = columns.get(i).getName();
      LogicalType type = columns.get(i).getDataType().getLogicalType();
      if (names[i].equals(VERSION) && type.getTypeRoot() == LogicalTypeRoot.VARCHAR) {
        versionColumn = i;
      } else if (type instanceof ArrayType a && a.getElementType().getTypeRoot() == LogicalTypeRoot.FLOAT) {
        if (arrayColumn >= 0) throw mismatch("has two ARRAY<FLOAT> columns");
        arrayColumn = i;
      } else if (type.getTypeRoot() == LogicalTypeRoot.FLOAT) {
        floatColumns[floats++] = i;
      } else {
        throw mismatch("column '" + names[i] + "' is " + columns.get(i).getDataType());
      }
    }
    if (arrayColumn >= 0 && floats > 0) throw mismatch("has both ARRAY<FLOAT> and FLOAT columns");
    if (arrayColumn < 0 && floats == 0) throw mismatch("has no ARRAY<FLOAT> or FLOAT column");
    return new OutputColumns(names, arrayColumn, Arrays.copyOf(floatColumns, floats), versionColumn);
  }

  private static ValidationException mismatch(String what) {
    return new ValidationException("a 'tfjs' model's OUTPUT is one ARRAY<FLOAT> column (the model's output row) or one"
        + " FLOAT column per output value, and optionally 'version STRING'; its " + what);
  }

  /** Throws ValidationException when the bundle gives another number of outputs than the FLOAT columns. */
  void check(BundleInfo info) {
    if (arrayColumn < 0 && info.outputCols() >= 0 && info.outputCols() != floatColumns.length) {
      StringJoiner listed = new StringJoiner(", ");
      for (int c : floatColumns) listed.add(names[c]);
      throw new ValidationException("a 'tfjs' model's OUTPUT has " + floatColumns.length + " FLOAT columns (" + listed
          + "); the bundle " + info.name() + " " + info.version() + " gives " + info.outputCols() + " outputs");
    }
  }

  /** One row's OUTPUT from {@code cols} values of the model at {@code offset}, computed by {@code version}. */
  RowData row(float[] values, int offset, int cols, String version) {
    GenericRowData row = new GenericRowData(names.length);
    if (arrayColumn >= 0) {
      Float[] boxed = new Float[cols];
      for (int i = 0; i < cols; i++) boxed[i] = values[offset + i];
      row.setField(arrayColumn, new GenericArrayData(boxed));
    } else {
      if (cols != floatColumns.length) {
        throw new IllegalStateException("the model gave " + cols + " outputs for a row; its OUTPUT has "
            + floatColumns.length + " FLOAT columns");
      }
      for (int i = 0; i < cols; i++) row.setField(floatColumns[i], values[offset + i]);
    }
    if (versionColumn >= 0) row.setField(versionColumn, StringData.fromString(version));
    return row;
  }

  /** The OUTPUT of a row that did not reach the model: every column NULL. */
  RowData nullRow() {
    return new GenericRowData(names.length);
  }
}
