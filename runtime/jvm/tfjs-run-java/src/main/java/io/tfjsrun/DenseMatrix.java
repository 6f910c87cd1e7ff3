package io.tfjsrun;

import java.util.Arrays;

/** Row-major float32 rows: the unit of data in and out of a model. A small value class. */
public final class DenseMatrix {
  private final int rows;
  private final int cols;
  private final float[] values;

  /** Wraps {@code values} (not copied), which must hold exactly {@code rows * cols} floats. */
  public DenseMatrix(int rows, int cols, float[] values) {
    if (rows < 0 || cols < 0) throw new TfjsException(TfjsException.Kind.SHAPE, "negative shape " + rows + "x" + cols);
    if (values == null || (long) rows * cols != values.length) {
      throw new TfjsException(TfjsException.Kind.SHAPE, "a " + rows + "x" + cols + " matrix needs " + (long) rows * cols
          + " values, got " + (values == null ? "null" : String.valueOf(values.length)));
    }
    this.rows = rows;
    this.cols = cols;
    this.values = values;
  }

  /** Copies rows of equal length into one row-major matrix. */
  public static DenseMatrix of(float[][] rows) {
    if (rows == null) throw new TfjsException(TfjsException.Kind.SHAPE, "rows is null");
    int cols = rows.length == 0 ? 0 : rows[0].length;
    float[] values = new float[Math.multiplyExact(rows.length, cols)];
    for (int r = 0; r < rows.length; r++) {
      if (rows[r] == null || rows[r].length != cols) {
        throw new TfjsException(TfjsException.Kind.SHAPE, "row " + r + " has "
            + (rows[r] == null ? "no" : String.valueOf(rows[r].length)) + " values; row 0 has " + cols);
      }
      System.arraycopy(rows[r], 0, values, r * cols, cols);
    }
    return new DenseMatrix(rows.length, cols, values);
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  /** The row-major values (not a copy). */
  public float[] values() {
    return values;
  }

  public float get(int row, int col) {
    return values[row * cols + col];
  }

  /** A copy of one row. */
  public float[] row(int row) {
    return Arrays.copyOfRange(values, row * cols, (row + 1) * cols);
  }

  /** A copy as one array per row. */
  public float[][] toArrays() {
    float[][] out = new float[rows][];
    for (int r = 0; r < rows; r++) out[r] = row(r);
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DenseMatrix m && m.rows == rows && m.cols == cols && Arrays.equals(m.values, values);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * rows + cols) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "DenseMatrix[" + rows + "x" + cols + "]";
  }
}
