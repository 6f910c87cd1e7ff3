package io.tfjsrun.flink;

import java.io.Serializable;

/**
 * A model update that will never serve, on the model stream's rejected-updates side output: the
 * model and version it named ("" for a record that was not an update) and why. The version that
 * was serving keeps serving.
 */
public final class RejectedUpdate implements Serializable {
  private static final long serialVersionUID = 1L;

  public final String model;
  public final String version;
  public final String reason;

  public RejectedUpdate(String model, String version, String reason) {
    this.model = model;
    this.version = version;
    this.reason = reason;
  }

  @Override
  public String toString() {
    return "RejectedUpdate[model '" + model + "' version '" + version + "': " + reason + "]";
  }
}
