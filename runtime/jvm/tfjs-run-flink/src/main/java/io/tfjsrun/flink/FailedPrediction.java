package io.tfjsrun.flink;

/**
 * A record whose prediction failed, on the model stream's failed-predictions side output: the
 * record, the model and version that failed it, and why. The job keeps answering the others.
 */
public final class FailedPrediction<IN> {
  public IN record;
  public String model;
  public String version;
  public String reason;

  public FailedPrediction() {}

  FailedPrediction(IN record, String model, String version, String reason) {
    this.record = record;
    this.model = model;
    this.version = version;
    this.reason = reason;
  }

  @Override
  public String toString() {
    return "FailedPrediction[model '" + model + "' version '" + version + "': " + reason + "]";
  }
}
