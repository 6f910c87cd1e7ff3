package io.tfjsrun;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** NativeLog's SLF4J half, in its own class so that NativeLog loads without SLF4J. */
final class Slf4jLog {
  private static final Logger LOG = LoggerFactory.getLogger(NativeLog.LOGGER);

  private Slf4jLog() {}

  static void log(int level, String source, String version, String where, String text) {
    MDC.put(NativeLog.SOURCE_FIELD, source);
    if (!version.isEmpty()) MDC.put(NativeLog.VERSION_FIELD, version);
    try {
      switch (level) {
        case 0 -> LOG.debug("[{}] {}", where, text);
        case 1 -> LOG.info("[{}] {}", where, text);
        case 2 -> LOG.warn("[{}] {}", where, text);
        default -> LOG.error("[{}] {}", where, text);
      }
    } finally {
      MDC.remove(NativeLog.SOURCE_FIELD);
      MDC.remove(NativeLog.VERSION_FIELD);
    }
  }
}
