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

  BundleInfo(String name, String version, String sha256, String backend, String contract, long inputCols,
      long outputCols, long maxRows, String modelExec, String modelExecNote, String[] featureNames) {
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

  @Override
  public String toString() {
    return "BundleInfo[" + name + " " + version + ", " + backend + ", " + inputCols + " -> " + outputCols + ", "
        + contract + ", " + modelExec + "]";
  }
}
