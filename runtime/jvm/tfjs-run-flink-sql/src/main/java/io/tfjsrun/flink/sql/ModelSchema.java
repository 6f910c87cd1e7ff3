package io.tfjsrun.flink.sql;

import java.io.Serializable;
import java.util.List;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/**
 * A 'tfjs' model's INPUT and OUTPUT, checked when the model is planned: every INPUT column is
 * numeric (TINYINT to DOUBLE, or DECIMAL; each becomes a float feature, in the declared order),
 * and the OUTPUT is one ARRAY&lt;FLOAT&gt; column. A mismatch is a ValidationException naming the
 * column; a NULL feature at run time is an error naming it too.
 */
final class ModelSchema implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String[] names;
  private final LogicalTypeRoot[] types;
  private final int[] precision, scale;  // a DECIMAL column's, which reading it needs

  private ModelSchema(String[] names, LogicalTypeRoot[] types, int[] precision, int[] scale) {
    this.names = names;
    this.types = types;
    this.precision = precision;
    this.scale = scale;
  }

  static ModelSchema of(ResolvedCatalogModel model) {
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
    List<Column> outputs = model.getResolvedOutputSchema().getColumns();
    LogicalType out = outputs.size() == 1 ? outputs.get(0).getDataType().getLogicalType() : null;
    if (!(out instanceof ArrayType a) || a.getElementType().getTypeRoot() != LogicalTypeRoot.FLOAT) {
      throw new ValidationException("a 'tfjs' model's OUTPUT is one ARRAY<FLOAT> column (the model's output row), not "
          + model.getResolvedOutputSchema());
    }
    return new ModelSchema(names, types, precision, scale);
  }

  private static boolean isNumber(LogicalTypeRoot t) {
    switch (t) {
      case TINYINT: case SMALLINT: case INTEGER: case BIGINT: case FLOAT: case DOUBLE: case DECIMAL:
        return true;
      default:
        return false;
    }
  }

  /** The row's INPUT columns as one feature row. */
  float[] features(RowData row) {
    if (row.getArity() != names.length) {
      throw new IllegalArgumentException("the row has " + row.getArity() + " columns; the model's INPUT has " + names.length);
    }
    float[] out = new float[names.length];
    for (int i = 0; i < out.length; i++) {
      if (row.isNullAt(i)) throw new IllegalArgumentException("INPUT column '" + names[i] + "' is NULL");
      switch (types[i]) {
        case TINYINT: out[i] = row.getByte(i); break;
        case SMALLINT: out[i] = row.getShort(i); break;
        case INTEGER: out[i] = row.getInt(i); break;
        case BIGINT: out[i] = row.getLong(i); break;
        case FLOAT: out[i] = row.getFloat(i); break;
        case DOUBLE: out[i] = (float) row.getDouble(i); break;
        default: {  // DECIMAL
          DecimalData d = row.getDecimal(i, precision[i], scale[i]);
          out[i] = d.toBigDecimal().floatValue();
        }
      }
    }
    return out;
  }
}
