package io.tfjsrun.flink.sql;

import io.tfjsrun.BundleInfo;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/**
 * A 'tfjs' model's INPUT and OUTPUT ({@link OutputColumns}), checked when the model is planned: every
 * INPUT column is numeric (TINYINT to DOUBLE, or DECIMAL; each becomes a float feature). Checked
 * against the bundle ({@link #bind}), the INPUT columns are matched by name to the feature names the
 * bundle declares, and read in the bundle's order whatever their order in INPUT (listed in another
 * order they would otherwise feed the model shuffled features); a bundle that declares none takes
 * them in INPUT's order, and as many as it has inputs; the OUTPUT columns are bound to the bundle's
 * outputs by name or by position. A mismatch is a ValidationException naming the column. A NULL feature at run time is an error naming its column, or with {@code nullOutput}
 * the row's OUTPUT is NULL without the row reaching the model.
 */
final class ModelSchema implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String[] names;
  private final LogicalTypeRoot[] types;
  private final int[] precision, scale;  // a DECIMAL column's, which reading it needs
  private final int[] order;             // the INPUT column of each of the model's features, in its order
  private final boolean nullOutput;
  private final OutputColumns output;

  private ModelSchema(String[] names, LogicalTypeRoot[] types, int[] precision, int[] scale, int[] order,
                      boolean nullOutput, OutputColumns output) {
    this.names = names;
    this.types = types;
    this.precision = precision;
    this.scale = scale;
    this.order = order;
    this.nullOutput = nullOutput;
    this.output = output;
  }

  /** The model's schema, its INPUT taken in its own order until {@link #bind} matches it to the bundle's. */
  static ModelSchema of(ResolvedCatalogModel model, boolean nullOutput) {
    List<Column> inputs = model.getResolvedInputSchema().getColumns();
    String[] names = new String[inputs.size()];
    LogicalTypeRoot[] types = new LogicalTypeRoot[inputs.size()];
    int[] precision = new int[names.length], scale = new int[names.length];
    for (int i = 0; i < names.length; i++) {
      names[i] = inputs.get(i).getName();
      LogicalType type = inputs.get(i).getDataType().getLogicalType();
      types[i] = type.getTypeRoot();
      if (type instanceof DecimalType d) {
        precision[i] = d.getPrecision();
        scale[i] = d.getScale();
      }
      if (!isNumber(types[i])) {
        throw new ValidationException("a 'tfjs' model's INPUT column '" + names[i] + "' is "
            + inputs.get(i).getDataType() + "; its features are numbers (TINYINT to DOUBLE, or DECIMAL)");
      }
    }
    int[] inOrder = new int[names.length];
    for (int i = 0; i < inOrder.length; i++) inOrder[i] = i;
    OutputColumns output = OutputColumns.of(model.getResolvedOutputSchema().getColumns());
    return new ModelSchema(names, types, precision, scale, inOrder, nullOutput, output);
  }

  private static boolean isNumber(LogicalTypeRoot t) {
    switch (t) {
      case TINYINT: case SMALLINT: case INTEGER: case BIGINT: case FLOAT: case DOUBLE: case DECIMAL:
        return true;
      default:
        return false;
    }
  }

  /**
   * This schema checked against the bundle {@code info} describes, its INPUT in the bundle's feature
   * order and its OUTPUT bound to the bundle's outputs ({@link OutputColumns#bind}). Throws
   * ValidationException naming an INPUT column that is not a declared feature, a declared feature
   * that is not an INPUT column, both counts when the bundle declares no names, or an OUTPUT column
   * the bundle cannot fill.
   */
  ModelSchema bind(BundleInfo info) {
    OutputColumns boundOutput = output.bind(info);
    List<String> declared = info.featureNames();
    List<String> listed = Arrays.asList(names);
    int[] bound = order;
    if (!declared.isEmpty()) {
      for (String name : names) {
        if (!declared.contains(name)) {
          throw new ValidationException("a 'tfjs' model's INPUT column '" + name + "' is not a feature of the bundle "
              + info.name() + " " + info.version() + ", which declares " + declared);
        }
      }
      bound = new int[declared.size()];
      for (int f = 0; f < bound.length; f++) {
        bound[f] = listed.indexOf(declared.get(f));
        if (bound[f] < 0) {
          throw new ValidationException("the bundle " + info.name() + " " + info.version() + "'s feature '"
              + declared.get(f) + "' is not among the 'tfjs' model's INPUT columns " + listed);
        }
      }
    } else if (info.inputCols() >= 0 && info.inputCols() != names.length) {
      throw new ValidationException("a 'tfjs' model's INPUT has " + names.length + " columns " + listed + "; the bundle "
          + info.name() + " " + info.version() + " takes " + info.inputCols() + " features");
    }
    return new ModelSchema(names, types, precision, scale, bound, nullOutput, boundOutput);
  }

  OutputColumns output() {
    return output;
  }

  /**
   * The row's INPUT columns as one feature row in the model's order, or null when a feature is NULL
   * and such rows are answered NULL.
   */
  float[] features(RowData row) {
    if (row.getArity() != names.length) {
      throw new IllegalArgumentException("the row has " + row.getArity() + " columns; the model's INPUT has " + names.length);
    }
    float[] out = new float[order.length];
    for (int f = 0; f < out.length; f++) {
      int i = order[f];
      if (row.isNullAt(i)) {
        if (nullOutput) return null;
        throw new IllegalArgumentException("INPUT column '" + names[i] + "' is NULL (with 'null-input' = 'null-output'"
            + " the row's OUTPUT would be NULL)");
      }
      switch (types[i]) {
        case TINYINT: out[f] = row.getByte(i); break;
        case SMALLINT: out[f] = row.getShort(i); break;
        case INTEGER: out[f] = row.getInt(i); break;
        case BIGINT: out[f] = row.getLong(i); break;
        case FLOAT: out[f] = row.getFloat(i); break;
        case DOUBLE: out[f] = (float) row.getDouble(i); break;
        default: {  // DECIMAL
          DecimalData d = row.getDecimal(i, precision[i], scale[i]);
          out[f] = d.toBigDecimal().floatValue();
        }
      }
    }
    return out;
  }
}
