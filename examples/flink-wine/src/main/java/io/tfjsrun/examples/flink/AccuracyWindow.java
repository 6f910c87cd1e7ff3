package io.tfjsrun.examples.flink;

import io.tfjsrun.flink.LabeledPrediction;
import java.util.TreeSet;
import org.apache.flink.streaming.api.functions.windowing.AllWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.GlobalWindow;
import org.apache.flink.util.Collector;

/** The accuracy of one window of predictions: the cultivar is the label, class i is cultivar i + 1. */
public class AccuracyWindow implements AllWindowFunction<LabeledPrediction, String, GlobalWindow> {
  private static final long serialVersionUID = 1L;

  @Override
  public void apply(GlobalWindow window, Iterable<LabeledPrediction> predictions, Collector<String> out) {
    out.collect(summarize(predictions));
  }

  public static String summarize(Iterable<LabeledPrediction> predictions) {
    int total = 0;
    int correct = 0;
    TreeSet<String> versions = new TreeSet<>();
    for (LabeledPrediction p : predictions) {
      total++;
      if (Integer.parseInt(p.label) == p.predictedClass + 1) correct++;
      versions.add(p.version);
    }
    return String.format("window of %d: accuracy %.4f (%d correct), versions %s", total,
        total == 0 ? 0.0 : (double) correct / total, correct, versions);
  }
}
