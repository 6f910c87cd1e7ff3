package org.apache.flink.api.common.functions;

import org.apache.flink.annotation.Public;

/** Stand-in: signature of Flink 1.19 / 2.x {@code RichMapFunction}. */
@Public
public abstract class RichMapFunction<IN, OUT> extends AbstractRichFunction implements MapFunction<IN, OUT> {
  private static final long serialVersionUID = 1L;

  @Override
  public abstract OUT map(IN value) throws Exception;
}
