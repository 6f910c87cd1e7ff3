package io.tfjsrun.flink;

import java.io.Serializable;
import java.util.Arrays;

/** tf.js-on-flink's result shape: the record's label, the model's output, and the class it picks. */
public final class LabeledPrediction implements Serializable {
  private static final long serialVersionUID = 1L;

  public final String label;
  public final float[] output;
  /** The index of the largest output (the predicted class). */
  public final int predictedClass;
  /** The bundle version that computed it. */
  public final String version;

  public LabeledPrediction(String label, float[] output, String version) {
    this.label = label;
    this.output = output;
    this.version = version;
    int best = 0;
    for (int i = 1; i < output.length; i++) if (output[i] > output[best]) best = i;
    this.predictedClass = best;
  }

  @Override
  public String toString() {
    return "LabeledPrediction[" + label + " -> " + predictedClass + " " + Arrays.toString(output) + " @" + version + "]";
  }
}
