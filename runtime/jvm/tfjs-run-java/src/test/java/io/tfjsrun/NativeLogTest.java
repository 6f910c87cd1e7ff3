package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * The bundle's console reaches the JVM's logging (SLF4J, here bound to java.util.logging), with
 * its level, the bundle's origin as a field and the text escaped, from the worker threads that log.
 */
class NativeLogTest {
  private static final String CHATTY = "globalThis.tfjsRunBundle = {name: 'chatty', version: '7', "
      + "inputShape: [null, 1], outputShape: [null, 1], load() { console.log('loaded \\u0000 ok'); }, "
      + "predict(x, rows) { console.warn('predicting ' + rows); console.error('and complaining'); "
      + "return new Float32Array(rows).map((_, i) => x[i] * 2); }};";

  record Line(Level level, String message, String source, String version, String thread) {}

  @Test
  void theBundlesConsoleGoesThroughSlf4jWithItsLevelAndSource() throws Exception {
    List<Line> lines = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        // Formatted as SLF4J's jdk14 binding hands it over; the MDC is read on the logging thread.
        lines.add(new Line(r.getLevel(), r.getMessage(), MDC.get(NativeLog.SOURCE_FIELD), MDC.get(NativeLog.VERSION_FIELD),
            Thread.currentThread().getName()));
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger jul = Logger.getLogger(NativeLog.LOGGER);
    jul.addHandler(capture);
    jul.setLevel(Level.ALL);
    try (TfjsRuntime runtime = TfjsRuntime.open(CHATTY.getBytes(StandardCharsets.UTF_8), "chatty.js",
        RuntimeOptions.defaults().withThreads(1))) {
      assertEquals(8f, runtime.predict(new float[] {4}, 1)[0], 0f);
      // A reload's lines name the version being loaded, and then the one serving.
      assertTrue(runtime.reload(CHATTY.getBytes(StandardCharsets.UTF_8), "8").ok());
      assertEquals(10f, runtime.predict(new float[] {5}, 1)[0], 0f);
    } finally {
      jul.removeHandler(capture);
    }
    // At start the version is not known until the bundle has loaded; then the worker's.
    assertTrue(lines.contains(new Line(Level.INFO, "[chatty.js] loaded \\0 ok", "chatty.js", null, "tfjs-run-w0")), lines.toString());
    assertTrue(lines.contains(new Line(Level.WARNING, "[chatty.js version 7] predicting 1", "chatty.js", "7", "tfjs-run-w0")),
        lines.toString());
    assertTrue(lines.contains(new Line(Level.SEVERE, "[chatty.js version 7] and complaining", "chatty.js", "7", "tfjs-run-w0")),
        lines.toString());
    assertTrue(lines.contains(new Line(Level.INFO, "[chatty.js version 8] loaded \\0 ok", "chatty.js", "8", "tfjs-run-w0")),
        lines.toString());
    assertTrue(lines.contains(new Line(Level.WARNING, "[chatty.js version 8] predicting 1", "chatty.js", "8", "tfjs-run-w0")),
        lines.toString());
  }
}
