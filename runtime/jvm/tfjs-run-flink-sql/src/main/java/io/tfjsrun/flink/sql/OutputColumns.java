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
 * A 'tfjs' model's OUTPUT: FLOAT and ARRAY&lt;FLOAT&gt; columns that take the model's output row, and,
 * optionally, a {@code version STRING} column with the bundle version that computed the row (it
 * changes as a watched model reloads). Bound to the bundle ({@link #bind}), the columns take the row
 * in one of three forms:
 * <ul>
 *   <li>by name, when any column is named after one of the outputs the bundle declares (its heads,
 *       {@link BundleInfo#outputs}; the name as Flink gives it, case included): each column takes the
 *       output it is named after, an output of one value as FLOAT or ARRAY&lt;FLOAT&gt;, a longer one
 *       as ARRAY&lt;FLOAT&gt;; any subset of the outputs, in any order, and every column an output;
 *   <li>otherwise one ARRAY&lt;FLOAT&gt; column: the whole output row;
 *   <li>otherwise one FLOAT column per output value, by position in the model's order (a model with
 *       several heads gives them one after another), as many as the bundle gives.
 * </ul>
 * A name decides: a FLOAT column named after a one-value output takes that output even where its
 * position would give another value. Before the binding only the columns' types are checked.
 */
final class OutputColumns implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String VERSION = "version";

  private final String[] names;
  private final boolean[] arrays;    // ARRAY<FLOAT>, else FLOAT (or the version column)
  private final int versionColumn;   // or -1
  // Bound to the bundle: each column's values [first, end) of the output row (end -1: to the row's end), and the
  // values a row has (-1: any). Null before the binding.
  private final int[] first, end;
  private final int width;

  private OutputColumns(String[] names, boolean[] arrays, int versionColumn, int[] first, int[] end, int width) {
    this.names = names;
    this.arrays = arrays;
    this.versionColumn = versionColumn;
    this.first = first;
    this.end = end;
    this.width = width;
  }

  /** The OUTPUT columns, their types checked, not yet bound to a bundle. */
  static OutputColumns of(List<Column> columns) {
    String[] names = new String[columns.size()];
    boolean[] arrays = new boolean[names.length];
    int versionColumn = -1;
    for (int i = 0; i < names.length; i++) {
      names[i] = columns.get(i).getName();
      LogicalType type = columns.get(i).getDataType().getLogicalType();
      if (names[i].equals(VERSION) && type.getTypeRoot() == LogicalTypeRoot.VARCHAR) {
        versionColumn = i;
      } else if (type instanceof ArrayType a && a.getElementType().getTypeRoot() == LogicalTypeRoot.FLOAT) {
        arrays[i] = true;
      } else if (type.getTypeRoot() != LogicalTypeRoot.FLOAT) {
        throw mismatch("column '" + names[i] + "' is " + columns.get(i).getDataType());
      }
    }
    if (names.length == (versionColumn >= 0 ? 1 : 0)) throw mismatch("has no ARRAY<FLOAT> or FLOAT column");
    return new OutputColumns(names, arrays, versionColumn, null, null, -1);
  }

  private static ValidationException mismatch(String what) {
    return new ValidationException("a 'tfjs' model's OUTPUT is one ARRAY<FLOAT> column (the model's output row) or one"
        + " FLOAT column per output value, and optionally 'version STRING'; its " + what + " (columns named after the"
        + " bundle's outputs take those: FLOAT or ARRAY<FLOAT>)");
  }

  /**
   * These columns bound to the outputs of the bundle {@code info} describes, by name or else by
   * position. Throws ValidationException naming a column the bundle cannot fill.
   */
  OutputColumns bind(BundleInfo info) {
    for (int c = 0; c < names.length; c++) {
      if (c != versionColumn && output(info, names[c]) != null) return byName(info);
    }
    return byPosition(info);
  }

  private static BundleInfo.Output output(BundleInfo info, String name) {
    for (BundleInfo.Output o : info.outputs()) {
      if (o.name().equals(name)) return o;
    }
    return null;
  }

  private OutputColumns byName(BundleInfo info) {
    int[] first = new int[names.length], end = new int[names.length];
    for (int c = 0; c < names.length; c++) {
      if (c == versionColumn) continue;
      BundleInfo.Output o = output(info, names[c]);
      if (o == null) {
        throw new ValidationException("a 'tfjs' model's OUTPUT column '" + names[c] + "' is not an output of the"
            + " bundle " + bundle(info) + ", which declares " + outputs(info) + "; as other columns are named after its outputs,"
            + " every column is taken by name");
      }
      if (!arrays[c] && o.columns() != 1) {
        throw new ValidationException("a 'tfjs' model's OUTPUT column '" + names[c] + "' is FLOAT; the bundle "
            + bundle(info) + "'s output '" + o.name() + "' has " + o.columns() + " values, an ARRAY<FLOAT>");
      }
      first[c] = (int) o.firstColumn();
      end[c] = (int) o.endColumn();
    }
    int width = (int) info.outputCols();
    if (width < 0) {
      for (BundleInfo.Output o : info.outputs()) width = Math.max(width, (int) o.endColumn());
    }
    return new OutputColumns(names, arrays, versionColumn, first, end, width);
  }

  private OutputColumns byPosition(BundleInfo info) {
    int[] first = new int[names.length], end = new int[names.length];
    int floats = 0, array = -1;
    StringJoiner listed = new StringJoiner(", ");
    for (int c = 0; c < names.length; c++) {
      if (c == versionColumn) continue;
      if (arrays[c]) {
        if (array >= 0) {
          throw mismatch("has two ARRAY<FLOAT> columns, neither named after an output of the bundle " + bundle(info)
              + " (its outputs: " + outputs(info) + ")");
        }
        array = c;
        end[c] = -1;
      } else {
        first[c] = floats++;
        end[c] = floats;
        listed.add(names[c]);
      }
    }
    if (array >= 0 && floats > 0) throw mismatch("has both ARRAY<FLOAT> and FLOAT columns");
    if (array < 0 && info.outputCols() >= 0 && info.outputCols() != floats) {
      throw new ValidationException("a 'tfjs' model's OUTPUT has " + floats + " FLOAT columns (" + listed + "); the"
          + " bundle " + bundle(info) + " gives " + info.outputCols() + " outputs"
          + (info.outputs().isEmpty() ? "" : ", declared as " + outputs(info) + " to name columns after"));
    }
    return new OutputColumns(names, arrays, versionColumn, first, end, array >= 0 ? -1 : floats);
  }

  private static String bundle(BundleInfo info) {
    return info.name() + " " + info.version();
  }

  /** The bundle's outputs as "[head_0 (5 values), head_1 (1 value)]", or "none". */
  private static String outputs(BundleInfo info) {
    if (info.outputs().isEmpty()) return "none";
    StringJoiner out = new StringJoiner(", ", "[", "]");
    for (BundleInfo.Output o : info.outputs()) {
      out.add(o.name() + " (" + o.columns() + (o.columns() == 1 ? " value)" : " values)"));
    }
    return out.toString();
  }

  /**
   * One row's OUTPUT from {@code cols} values of the model at {@code offset}, computed by
   * {@code version}. {@code values} becomes the row's: the caller does not change it afterwards.
   */
  RowData row(float[] values, int offset, int cols, String version) {
    if (first == null) throw new IllegalStateException("the OUTPUT columns are not bound to a bundle");
    if (width >= 0 && cols != width) {
      throw new IllegalStateException("the model gave " + cols + " values for a row; its OUTPUT takes " + width);
    }
    GenericRowData row = new GenericRowData(names.length);
    for (int c = 0; c < names.length; c++) {
      if (c == versionColumn) {
        row.setField(c, StringData.fromString(version));
      } else if (arrays[c]) {
        int n = (end[c] < 0 ? cols : end[c]) - first[c];
        int from = offset + first[c];
        // Unboxed; a whole array that is the row's own (as the batcher and a predict hand it) is
        // taken as it is, without a second copy.
        float[] part = from == 0 && n == values.length ? values : Arrays.copyOfRange(values, from, from + n);
        row.setField(c, new GenericArrayData(part));
      } else {
        row.setField(c, values[offset + first[c]]);
      }
    }
    return row;
  }

  /** The OUTPUT of a row that did not reach the model: every column NULL. */
  RowData nullRow() {
    return new GenericRowData(names.length);
  }
}
