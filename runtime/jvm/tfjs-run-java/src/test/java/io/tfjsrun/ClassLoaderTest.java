package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * What Flink does to user code: each job, and each restart of a job, loads the user jar in a new
 * child-first class loader in the same JVM. Every loader must be able to load tfjs-run's native
 * bridge ("already loaded in another classloader" must not happen) and predict.
 */
class ClassLoaderTest {

  /** tfjs-run's classes in a class loader of their own, as Flink's user-code loader gives them. */
  private static URLClassLoader jobClassLoader() {
    URL classes = TfjsRuntime.class.getProtectionDomain().getCodeSource().getLocation();
    return new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader());
  }

  private static float[] predictIn(ClassLoader loader, Path bundle, float[] row) throws Exception {
    Class<?> runtimeClass = loader.loadClass("io.tfjsrun.TfjsRuntime");
    Class<?> optionsClass = loader.loadClass("io.tfjsrun.RuntimeOptions");
    assertNotSame(TfjsRuntime.class, runtimeClass, "a separate copy of the class");
    Object options = optionsClass.getMethod("withThreads", int.class)
        .invoke(optionsClass.getMethod("defaults").invoke(null), 1);
    Object runtime = runtimeClass.getMethod("open", Path.class, optionsClass).invoke(null, bundle, options);
    try {
      return (float[]) runtimeClass.getMethod("predict", float[].class, int.class).invoke(runtime, row, 1);
    } finally {
      Method close = runtimeClass.getMethod("close");
      close.invoke(runtime);
    }
  }

  @Test
  void twoJobClassLoadersAndARestartInOneJvmEachLoadTheBridgeAndPredict() throws Exception {
    Path bundle = Fixtures.bundle("wine-layers-wasm");
    float[] row = Fixtures.wineRows()[7];
    float[] expected;
    try (TfjsRuntime runtime = TfjsRuntime.open(bundle, RuntimeOptions.defaults().withThreads(1))) {
      expected = runtime.predict(row, 1);  // the application class loader has loaded it too
    }
    try (URLClassLoader jobA = jobClassLoader(); URLClassLoader jobB = jobClassLoader()) {
      assertArrayEquals(expected, predictIn(jobA, bundle, row), 0f, "job A");
      assertArrayEquals(expected, predictIn(jobB, bundle, row), 0f, "job B, alongside A");
    }
    // A restarted job: a new loader after the old ones were closed.
    try (URLClassLoader restarted = jobClassLoader()) {
      assertArrayEquals(expected, predictIn(restarted, bundle, row), 0f, "restarted job");
    }
  }
}
