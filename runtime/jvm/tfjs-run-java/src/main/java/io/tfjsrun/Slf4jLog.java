package io.tfjsrun;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** NativeLog's SLF4J half, in its own class so that NativeLog loads without SLF4J. */
final class Slf4jLog {
  private static final Logger LOG = LoggerFactory.getLogger(NativeLog.LOGGER);

  private Slf4jLog() {}

  static void log(int level, String source, String text) {
    MDC.put(NativeLog.SOURCE_FIELD, source);
    try {
      switch (level) {
        case 0 -> LOG.debug("[{}] {}", source, text);
        case 1 -> LOG.info("[{}] {}", source, text);
        case 2 -> LOG.warn("[{}] {}", source, text);
        default -> LOG.error("[{}] {}", source, text);
      }
    } finally {
      MDC.remove(NativeLog.SOURCE_FIELD);
    }
  }
}
