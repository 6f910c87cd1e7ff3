package io.tfjsrun;

import java.util.List;

/** What the bundle being served declares, and the backend that runs it. */
public final class BundleInfo {
  private final String name;
  private final String version;
  private final String sha256;
  private final String backend;
  private final String contract;
  private final long inputCols;
  private final long outputCols;
  private final long maxRows;
  private final String modelExec;
  private final String modelExecNote;
  private final List<String> featureNames;
  private final List<Output> outputs;

  /**
   * One of the model's outputs and the columns [firstColumn, endColumn) it fills in each output row: a graph model's
   * output (by its name), a layers model's output layer, or an app's postprocess ("postprocess", or "postprocess[i]"
   * for the i-th of several).
   */
  public record Output(String name, long firstColumn, long endColumn) {
    /** How many values of each output row are this output's. */
    public long columns() {
      return endColumn - firstColumn;
    }
  }

  /** {@code outputColumns} holds each output's first and end column, two entries per name of {@code outputNames}. */
  BundleInfo(String name, String version, String sha256, String backend, String contract, long inputCols,
      long outputCols, long maxRows, String modelExec, String modelExecNote, String[] featureNames,
      String[] outputNames, long[] outputColumns) {
    this.name = name;
    this.version = version;
    this.sha256 = sha256;
    this.backend = backend;
    this.contract = contract;
    this.inputCols = inputCols;
    this.outputCols = outputCols;
    this.maxRows = maxRows;
    this.modelExec = modelExec;
    this.modelExecNote = modelExecNote;
    this.featureNames = List.of(featureNames);
    Output[] outputs = new Output[outputNames.length];
    for (int i = 0; i < outputs.length; i++) {
      outputs[i] = new Output(outputNames[i], outputColumns[2 * i], outputColumns[2 * i + 1]);
    }
    this.outputs = List.of(outputs);
  }

  public String name() {
    return name;
  }

  public String version() {
    return version;
  }

  /** Of the bundler's inputs, as stamped by model-bundler. */
  public String sha256() {
    return sha256;
  }

  /** "wasm", "cpu", ... */
  public String backend() {
    return backend;
  }

  /** "v1" (tfjsRunBundle) or "legacy" (tf.js-on-flink's global predict). */
  public String contract() {
    return contract;
  }

  /** Input width; -1 when the bundle declares none (legacy bundles). */
  public long inputCols() {
    return inputCols;
  }

  /** Output width; -1 when it is known only from each result (legacy bundles). */
  public long outputCols() {
    return outputCols;
  }

  public long maxRows() {
    return maxRows;
  }

  /** "native" or "tfjs": where the model's math runs (see RuntimeOptions#withModelExec). */
  public String modelExec() {
    return modelExec;
  }

  /** What runs natively, or why the model stays in tfjs. */
  public String modelExecNote() {
    return modelExecNote;
  }

  /**
   * The input features' names in the model's order (model-bundler --feature-names), or an empty list when the bundle
   * declares none. The CLI matches CSV headers and JSON keys to them by name.
   */
  public List<String> featureNames() {
    return featureNames;
  }

  /**
   * The model's outputs in the order their columns follow one another in each output row (tfjs-run --info lists the
   * same), or an empty list when the bundle declares none (legacy and hand-written bundles).
   */
  public List<Output> outputs() {
    return outputs;
  }

  @Override
  public String toString() {
    return "BundleInfo[" + name + " " + version + ", " + backend + ", " + inputCols + " -> " + outputCols + ", "
        + contract + ", " + modelExec + "]";
  }
}
