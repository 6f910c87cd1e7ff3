package org.apache.flink.streaming.api.datastream;

import org.apache.flink.annotation.Public;
import org.apache.flink.streaming.api.functions.windowing.AllWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.Window;

/** Stand-in: the members of Flink's {@code AllWindowedStream} used here (compile only). */
@Public
public class AllWindowedStream<T, W extends Window> {
  public <R> SingleOutputStreamOperator<R> apply(AllWindowFunction<T, R, W> function) {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }
}
