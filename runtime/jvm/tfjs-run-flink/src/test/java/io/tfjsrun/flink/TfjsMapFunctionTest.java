package io.tfjsrun.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tfjsrun.Fixtures;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsRuntime;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The RichMapFunction drop-in, run as Flink runs it: shipped, 4 parallel subtasks, open/map/close. */
class TfjsMapFunctionTest {
  static final RuntimeOptions TWO = RuntimeOptions.defaults().withThreads(2);

  static float[][] reference(String bundle, float[][] rows) {
    try (TfjsRuntime runtime = TfjsRuntime.open(Fixtures.bundle(bundle), TWO)) {
      return runtime.predict(rows);
    }
  }

  @Test
  void fourSubtasksShareOneRuntimeAndAnswerEveryRecordBitForBit() throws Exception {
    float[][] rows = Fixtures.wineRows();
    float[][] expected = reference("wine-layers-wasm", rows);
    List<float[]> input = new ArrayList<>(List.of(rows));
    TfjsModel model = TfjsModel.bundle(Fixtures.bundle("wine-layers-wasm").toString()).withOptions(TWO);
    FlinkHarness.Run<float[]> run = FlinkHarness.map(TfjsMapFunction.rows(model), input, 4);
    assertEquals(0, run.failures());
    for (int i = 0; i < rows.length; i++) assertArrayEquals(expected[i], run.outputs.get(i), 0f, "record " + i);
    for (int s = 0; s < 4; s++) {
      // While all four were open they held one shared runtime (4 handles).
      assertEquals(4, run.gaugesWhileOpen.get(s).get("tfjs.sharedBy"), "subtask " + s);
      assertEquals("test-1", run.gaugesWhileOpen.get(s).get("tfjs.version"));
      long mine = run.emitted.get(s).size();
      assertEquals(mine, run.contexts.get(s).metrics.counters.get("tfjs.predictions").get());
    }
  }

  @Test
  void theTfjsOnFlinkShapeLabelAndFeaturesInPredictionOut() throws Exception {
    List<LabeledRow> records = new ArrayList<>();
    for (String line : Files.readAllLines(Fixtures.sourceFile("examples/wine/data/wine.data"))) {
      if (!line.isBlank()) records.add(LabeledRow.parseCsv(line, 0));
    }
    float[][] rows = records.stream().map(r -> r.features).toArray(float[][]::new);
    float[][] expected = reference("wine-layers-cpu", rows);
    TfjsModel model = TfjsModel.bundle(Fixtures.bundle("wine-layers-cpu").toString()).withOptions(TWO);
    FlinkHarness.Run<LabeledPrediction> run = FlinkHarness.map(TfjsMapFunction.labeled(model), records, 3);
    int correct = 0;
    for (int i = 0; i < records.size(); i++) {
      LabeledPrediction p = run.outputs.get(i);
      assertEquals(records.get(i).label, p.label);
      assertArrayEquals(expected[i], p.output, 0f);
      assertEquals("test-1", p.version);
      if (Integer.parseInt(p.label) - 1 == p.predictedClass) correct++;
    }
    // The wine model is trained on these rows; the CLI example reports the same accuracy.
    assertTrue(correct > 0.9 * records.size(), correct + " of " + records.size());
  }

  @Test
  void aMalformedCsvLineNamesItsColumn() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> LabeledRow.parseCsv("1,14.2,x7,3", 0));
    assertTrue(e.getMessage().startsWith("column 3: 'x7' is not a number"), e.getMessage());
    assertEquals(3, LabeledRow.parseCsv("1,14.2,7,3", 0).features.length);
  }

  @Test
  void aBadRecordFailsOnlyItselfWithTheKindAndBundle() throws Exception {
    List<float[]> input = List.of(new float[] {1, 2, 3}, new float[] {13, 0, 0}, new float[] {4, 5, 6});
    TfjsModel model = TfjsModel.bundle(Fixtures.sourceFile("tests/fixtures/probe.js").toString()).withOptions(TWO);
    FlinkHarness.Run<float[]> run = FlinkHarness.map(TfjsMapFunction.rows(model), input, 1);
    assertEquals(6f, run.outputs.get(0)[0]);
    assertNull(run.outputs.get(1));
    assertTrue(run.errors.get(1).getMessage().contains("bundle 'probe' version 1.0.0: predict error"),
        run.errors.get(1).getMessage());
    assertEquals(15f, run.outputs.get(2)[0]);
  }
}
