package org.apache.flink.streaming.api.functions.async;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.AbstractRichFunction;

/**
 * Stand-in: signature of Flink 1.19 / 2.x {@code RichAsyncFunction}. (Flink wraps the runtime
 * context to refuse state and accumulators; the metric group and task info pass through, which
 * is all tfjs-run uses.)
 */
@PublicEvolving
public abstract class RichAsyncFunction<IN, OUT> extends AbstractRichFunction implements AsyncFunction<IN, OUT> {
  private static final long serialVersionUID = 3858030061138121840L;

  @Override
  public abstract void asyncInvoke(IN input, ResultFuture<OUT> resultFuture) throws Exception;
}
