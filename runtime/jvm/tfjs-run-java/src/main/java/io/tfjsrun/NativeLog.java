package io.tfjsrun;

/**
 * Where the native runtime's log lines go on the JVM: the bundle's console, loads, reloads, the
 * version watcher and worker errors. Through SLF4J when it is on the class path (Flink and Spark
 * have it), to the logger {@value #LOGGER}, with the line's source (the bundle's origin, or
 * "watch URL") in the MDC field {@value #SOURCE_FIELD} and the bundle version it is about (a
 * reload's, the worker's serving one; absent when none is known) in {@value #VERSION_FIELD}, both
 * also at the front of the message; else to System.err. Never straight to file descriptor 2. Called by the native library, on whichever
 * thread logs (a runtime's worker, its watcher).
 */
final class NativeLog {
  static final String LOGGER = "io.tfjsrun.native";
  static final String SOURCE_FIELD = "tfjs.source";
  static final String VERSION_FIELD = "tfjs.version";
  private static final String[] LEVELS = {"debug", "info", "warn", "error"};
  private static final boolean SLF4J = hasSlf4j();

  private NativeLog() {}

  /** level: 0 debug, 1 info, 2 warn, 3 error (tfjs_run::LogLevel). The text is already printable. */
  static void log(int level, String source, String version, String text) {
    int l = Math.max(0, Math.min(3, level));
    String where = version.isEmpty() ? source : source + " version " + version;
    if (SLF4J) {
      Slf4jLog.log(l, source, version, where, text);
    } else {
      System.err.println("[" + where + "] " + LEVELS[l] + ": " + text);
    }
  }

  private static boolean hasSlf4j() {
    try {
      Class.forName("org.slf4j.LoggerFactory", false, NativeLog.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
