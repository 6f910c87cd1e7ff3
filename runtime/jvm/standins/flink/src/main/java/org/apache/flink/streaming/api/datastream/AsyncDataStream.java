package org.apache.flink.streaming.api.datastream;

import java.util.concurrent.TimeUnit;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;

/** Stand-in: signatures of Flink 1.19 / 2.x {@code AsyncDataStream}'s ordered and unordered waits (compile only). */
@PublicEvolving
public class AsyncDataStream {
  public static <IN, OUT> SingleOutputStreamOperator<OUT> unorderedWait(DataStream<IN> in, AsyncFunction<IN, OUT> func,
      long timeout, TimeUnit timeUnit, int capacity) {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }

  public static <IN, OUT> SingleOutputStreamOperator<OUT> orderedWait(DataStream<IN> in, AsyncFunction<IN, OUT> func,
      long timeout, TimeUnit timeUnit, int capacity) {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }
}
