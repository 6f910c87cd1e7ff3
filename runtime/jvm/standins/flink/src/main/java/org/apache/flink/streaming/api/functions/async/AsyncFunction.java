package org.apache.flink.streaming.api.functions.async;

import java.io.Serializable;
import java.util.concurrent.TimeoutException;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.Function;

/** Stand-in: signature of Flink 1.19 / 2.x {@code AsyncFunction}. */
@PublicEvolving
public interface AsyncFunction<IN, OUT> extends Function, Serializable {
  void asyncInvoke(IN input, ResultFuture<OUT> resultFuture) throws Exception;

  default void timeout(IN input, ResultFuture<OUT> resultFuture) throws Exception {
    resultFuture.completeExceptionally(new TimeoutException("Async function call has timed out."));
  }
}
