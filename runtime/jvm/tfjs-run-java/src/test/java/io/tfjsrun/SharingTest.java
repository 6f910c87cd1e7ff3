package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Opens of one bundle with equal options share one native runtime; the last close ends it. */
class SharingTest {

  @Test
  void sameBundleSameOptionsShareOneRuntimeAndTheLastCloseShutsItDown() throws Exception {
    Path bundle = Fixtures.bundle("wine-layers-wasm");
    RuntimeOptions options = RuntimeOptions.defaults().withThreads(2);
    int before = SharedRuntime.liveRuntimes();
    float[] row = Fixtures.wineRows()[0];
    TfjsRuntime a = TfjsRuntime.open(bundle, options);
    // The same bytes under another path are the same bundle.
    Path copy = Files.createTempFile("wine-copy", ".bundle.js");
    Files.copy(bundle, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    TfjsRuntime b = TfjsRuntime.open(copy, options);
    TfjsRuntime c = TfjsRuntime.open(bundle, options.withMaxBatchRows(32));  // other options: its own
    try {
      assertEquals(before + 2, SharedRuntime.liveRuntimes());
      assertEquals(2, a.sharedBy());
      assertEquals(2, b.sharedBy());
      assertEquals(1, c.sharedBy());
      float[] expected = a.predict(row, 1);
      a.close();
      a.close();  // idempotent
      // a's handle is closed; b still serves from the same isolates.
      TfjsException closed = assertThrows(TfjsException.class, () -> a.predict(row, 1));
      assertEquals(TfjsException.Kind.SHUTDOWN, closed.kind());
      assertArrayEquals(expected, b.predict(row, 1), 0f);
      assertEquals(1, b.sharedBy());
      assertEquals(before + 2, SharedRuntime.liveRuntimes());
      b.close();
      assertEquals(before + 1, SharedRuntime.liveRuntimes());
      assertThrows(TfjsException.class, () -> b.submit(row, 1));
      assertArrayEquals(expected, c.predict(row, 1), 0f);
    } finally {
      a.close();
      b.close();
      c.close();
      Files.deleteIfExists(copy);
    }
    assertEquals(before, SharedRuntime.liveRuntimes());
  }

  @Test
  void optionsAreValuesAndOutOfRangeIsRefused() {
    assertEquals(RuntimeOptions.defaults().withThreads(3), RuntimeOptions.defaults().withThreads(3));
    // The ranges live in C++: checked when the options are used (OptionsTest has the messages).
    assertThrows(IllegalArgumentException.class, () -> RuntimeOptions.defaults().withThreads(-1).resolved());
    assertThrows(IllegalArgumentException.class, () -> RuntimeOptions.defaults().withMaxBatchRows(0).resolved());
    assertThrows(IllegalArgumentException.class, () -> WatchOptions.of("/x").withPollIntervalMs(0).resolved());
  }
}
