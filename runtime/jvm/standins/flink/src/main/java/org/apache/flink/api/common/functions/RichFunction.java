package org.apache.flink.api.common.functions;

import org.apache.flink.annotation.Public;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Stand-in: Flink 2.x {@code RichFunction}. In 2.x open(OpenContext) is abstract and
 * open(Configuration) is gone; in 1.19 open(OpenContext) is a default method beside the
 * deprecated open(Configuration). Code that overrides only open(OpenContext) compiles on both,
 * and this shape accepts nothing else.
 */
@Public
public interface RichFunction extends Function {
  @PublicEvolving
  void open(OpenContext openContext) throws Exception;

  void close() throws Exception;

  RuntimeContext getRuntimeContext();

  IterationRuntimeContext getIterationRuntimeContext();

  void setRuntimeContext(RuntimeContext t);
}
