package io.tfjsrun.examples.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import io.tfjsrun.flink.FlinkTests;
import io.tfjsrun.flink.LabeledRow;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The wine job as `flink run` would run it, in a real MiniCluster at parallelism 2 (ordered
 * async wait, two windows of 89): the windows' accuracy is the one tfjs in Node's answers give.
 */
class WineJobTest {
  @RegisterExtension static final MiniClusterExtension CLUSTER = FlinkTests.cluster();

  private static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
    return best;
  }

  @Test
  void theWineJobReportsTheAccuracyTfjsInNodesAnswersGive() throws Exception {
    List<LabeledRow> rows = WineJob.readWine(Fixtures.sourceFile("examples/wine/data/wine.data"));
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-wine-layers-wasm.csv"));
    assertEquals(178, rows.size());
    int nodeCorrect = 0;
    for (int i = 0; i < rows.size(); i++) if (Integer.parseInt(rows.get(i).label) == argmax(node[i]) + 1) nodeCorrect++;
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    List<String> windows = new ArrayList<>();
    try (var it = WineJob.accuracy(env, rows, WineJob.model(Fixtures.bundle("wine-layers-wasm").toString()), 89)
        .executeAndCollect("wine job")) {
      it.forEachRemaining(windows::add);
    }
    System.out.println(String.join("\n", windows));
    assertEquals(2, windows.size(), windows.toString());
    int correct = 0;
    for (String w : windows) {
      assertTrue(w.startsWith("window of 89: accuracy") && w.endsWith("versions [test-1]"), w);
      correct += Integer.parseInt(w.replaceAll(".*\\((\\d+) correct.*", "$1"));
    }
    assertEquals(nodeCorrect, correct);
  }
}
