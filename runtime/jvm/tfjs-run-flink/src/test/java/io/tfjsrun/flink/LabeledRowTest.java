package io.tfjsrun.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** tf.js-on-flink's CSV records: a label, and features that are finite float32s. */
class LabeledRowTest {
  static String refusal(String line) {
    return assertThrows(IllegalArgumentException.class, () -> LabeledRow.parseCsv(line, 0)).getMessage();
  }

  @Test
  void aLineIsItsLabelAndFeatures() {
    LabeledRow row = LabeledRow.parseCsv("2, 14.2,-7,3e2", 0);
    assertEquals("2", row.label);
    assertArrayEquals(new float[] {14.2f, -7f, 300f}, row.features);
  }

  @Test
  void nanAndInfinityAreRefusedNamingTheColumn() {
    assertEquals("column 3: 'NaN' is not a finite number, in: 1,14.2,NaN,3", refusal("1,14.2,NaN,3"));
    assertEquals("column 2: 'Infinity' is not a finite number, in: 1,Infinity,7,3", refusal("1,Infinity,7,3"));
  }

  @Test
  void aNumberPastFloat32IsRefusedNotMadeInfinite() {
    assertEquals("column 4: '1e39' is outside float32's range (about +-3.4e38), in: 1,14.2,7,1e39",
        refusal("1,14.2,7,1e39"));
  }
}
