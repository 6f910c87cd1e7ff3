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

  @Test
  void quotedFieldsHoldCommasAndDoubledQuotesAsTheCliReadsThem() {
    LabeledRow row = LabeledRow.parseCsv("\"Smith, John\",13.2,4", 0);
    assertEquals("Smith, John", row.label);
    assertArrayEquals(new float[] {13.2f, 4f}, row.features);
    row = LabeledRow.parseCsv("2,  \"say \"\"hi\"\", then go\" ,5", 1);
    assertEquals("say \"hi\", then go", row.label);
    assertArrayEquals(new float[] {2f, 5f}, row.features);
  }

  @Test
  void aQuotedNumberIsANumber() {
    LabeledRow row = LabeledRow.parseCsv("\"1\",\"13.2\", \" -4 \",\"\"\"\"\r", 3);
    assertEquals("\"", row.label);
    assertArrayEquals(new float[] {1f, 13.2f, -4f}, row.features);
    assertEquals("column 2: '1,5' is not a number, in: 1,\"1,5\",2", refusal("1,\"1,5\",2"));
  }

  @Test
  void strayQuotesAreBadRowsNamingTheColumn() {
    assertEquals("column 3: a quoted field that is never closed, in: 1,2,\"3,4", refusal("1,2,\"3,4"));
    assertEquals("column 2: text after the closing quote of a quoted field, in: 1,\"2\"x,3", refusal("1,\"2\"x,3"));
    // A quote inside an unquoted field is an ordinary character, so it cannot swallow the rest of the line.
    assertEquals("column 2: '2\"' is not a number, in: 1,2\",3", refusal("1,2\",3"));
  }

  @Test
  void featuresFollowTheClisNumberGrammar() {
    assertEquals("column 2: '1f' is not a number, in: 1,1f,0x1p3", refusal("1,1f,0x1p3"));
    assertEquals("column 3: '0x1p3' is not a number, in: 1,2,0x1p3", refusal("1,2,0x1p3"));
    assertEquals("column 2: empty field, in: 1,,2", refusal("1,,2"));
  }
}
