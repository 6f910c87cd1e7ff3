package io.tfjsrun.flink;

import io.tfjsrun.TfjsRuntime;

/**
 * The check an update asks for: its sample rows through the new version, and, if it gives them,
 * the expected answers, each within {@code tolerance * (1 + |expected|)} (the rule of tfjs-run's
 * reload, docs/publishing.md).
 */
final class UpdateCheck {
  private UpdateCheck() {}

  static void check(ModelUpdate u, TfjsRuntime runtime) throws UpdateException {
    float[] sample = u.sampleRows();
    if (sample == null) return;
    int width = (int) runtime.info().inputCols();
    if (width <= 0 || sample.length == 0 || sample.length % width != 0) {
      throw new UpdateException(u, "its sample of " + sample.length + " values is not whole rows of " + width);
    }
    int rows = sample.length / width;
    float[] got = runtime.predict(sample, rows);
    float[] expected = u.expectedRows();
    if (expected == null) return;
    if (expected.length != got.length) {
      throw new UpdateException(u, "it answers " + got.length + " values to its sample, the update expects "
          + expected.length);
    }
    int cols = got.length / rows;
    for (int i = 0; i < got.length; i++) {
      if (!(Math.abs(got[i] - expected[i]) <= u.tolerance() * (1 + Math.abs(expected[i])))) {
        throw new UpdateException(u, "its answer at sample row " + i / cols + ", column " + i % cols + " is " + got[i]
            + ", expected " + expected[i] + " (tolerance " + u.tolerance() + ")");
      }
    }
  }
}
