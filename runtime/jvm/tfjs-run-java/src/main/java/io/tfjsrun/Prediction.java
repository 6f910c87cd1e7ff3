package io.tfjsrun;

/** A result with the bundle version that computed it. Every row of one call is computed by one version. */
public final class Prediction {
  private final DenseMatrix output;
  private final String version;
  private final int worker;

  Prediction(float[] values, int rows, int cols, String version, int worker) {
    this.output = new DenseMatrix(rows, cols, values);
    this.version = version;
    this.worker = worker;
  }

  public DenseMatrix output() {
    return output;
  }

  /** The row-major output values (not a copy). */
  public float[] values() {
    return output.values();
  }

  /** The bundle version that computed every row of this result. */
  public String version() {
    return version;
  }

  /** The worker (isolate) that finished it. */
  public int worker() {
    return worker;
  }

  @Override
  public String toString() {
    return "Prediction[" + output + ", version " + version + ", worker " + worker + "]";
  }
}
