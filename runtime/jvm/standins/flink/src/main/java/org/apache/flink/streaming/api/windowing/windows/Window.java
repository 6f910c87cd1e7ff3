package org.apache.flink.streaming.api.windowing.windows;

import org.apache.flink.annotation.PublicEvolving;

/** Stand-in: signature of Flink's {@code Window}. */
@PublicEvolving
public abstract class Window {
  public abstract long maxTimestamp();
}
