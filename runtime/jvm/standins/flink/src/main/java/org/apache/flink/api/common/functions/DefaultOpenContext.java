package org.apache.flink.api.common.functions;

import org.apache.flink.annotation.PublicEvolving;

/** Stand-in: signature of Flink 1.19 / 2.x {@code DefaultOpenContext}. */
@PublicEvolving
public class DefaultOpenContext implements OpenContext {
  public static final OpenContext INSTANCE = new DefaultOpenContext();
}
