package org.apache.flink.streaming.api.windowing.windows;

import org.apache.flink.annotation.PublicEvolving;

/** Stand-in: the members of Flink's {@code GlobalWindow} used here. */
@PublicEvolving
public class GlobalWindow extends Window {
  private static final GlobalWindow INSTANCE = new GlobalWindow();

  private GlobalWindow() {}

  public static GlobalWindow get() {
    return INSTANCE;
  }

  @Override
  public long maxTimestamp() {
    return Long.MAX_VALUE;
  }
}
