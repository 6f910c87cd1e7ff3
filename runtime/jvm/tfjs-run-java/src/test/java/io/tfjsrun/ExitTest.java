package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A JVM that exits with a runtime open and work in flight exits cleanly, having answered it all. */
class ExitTest {

  @Test
  void exitingTheJvmWithAnOpenRuntimeDrainsItAndExitsZero() throws Exception {
    Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), "-Dtfjs.run.native.dir=" + System.getProperty("tfjs.run.native.dir"),
        ExitWithOpenRuntime.class.getName(), Fixtures.bundle("wine-layers-wasm").toString())
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), output);
    assertTrue(output.contains("completed 5000 of 5000"), output);
  }
}
