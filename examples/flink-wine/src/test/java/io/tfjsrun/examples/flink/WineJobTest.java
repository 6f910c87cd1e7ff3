package io.tfjsrun.examples.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import io.tfjsrun.flink.FlinkHarness;
import io.tfjsrun.flink.LabeledPrediction;
import io.tfjsrun.flink.LabeledRow;
import io.tfjsrun.flink.TfjsAsyncFunction;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The wine job's steps, run as Flink runs them (shipped, 2 subtasks, ordered async wait, two
 * windows of 89): every prediction picks the class tfjs in Node picks, and the windows' accuracy
 * is the one the Node reference gives.
 */
class WineJobTest {

  private static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
    return best;
  }

  @Test
  void theWineJobPredictsWhatTfjsInNodePredictsAndReportsItsAccuracyPerWindow() throws Exception {
    List<LabeledRow> rows = WineJob.readWine(Fixtures.sourceFile("examples/wine/data/wine.data"));
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-wine-layers-wasm.csv"));
    assertEquals(178, rows.size());
    FlinkHarness.AsyncOptions options = new FlinkHarness.AsyncOptions();
    options.capacity = 256;
    TfjsAsyncFunction<LabeledRow, LabeledPrediction> fn =
        TfjsAsyncFunction.labeled(WineJob.model(Fixtures.bundle("wine-layers-wasm").toString()));
    FlinkHarness.Run<LabeledPrediction> run = FlinkHarness.async(fn, rows, 2, options);
    int nodeCorrect = 0;
    for (int i = 0; i < rows.size(); i++) {
      LabeledPrediction p = run.outputs.get(i);
      assertEquals(argmax(node[i]), p.predictedClass, "row " + i);
      for (int c = 0; c < 3; c++) assertEquals(node[i][c], p.output[c], 1e-5f);
      if (Integer.parseInt(rows.get(i).label) == argmax(node[i]) + 1) nodeCorrect++;
    }
    String first = AccuracyWindow.summarize(run.outputs.subList(0, 89));
    String second = AccuracyWindow.summarize(run.outputs.subList(89, 178));
    System.out.println(first + "\n" + second);
    assertTrue(first.startsWith("window of 89: accuracy") && first.contains("[test-1]"), first);
    int correct = Integer.parseInt(first.replaceAll(".*\\((\\d+) correct.*", "$1"))
        + Integer.parseInt(second.replaceAll(".*\\((\\d+) correct.*", "$1"));
    assertEquals(nodeCorrect, correct);
  }
}
