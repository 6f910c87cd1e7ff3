package org.apache.flink.streaming.api.datastream;

import org.apache.flink.annotation.Public;

/** Stand-in: the members of Flink's {@code SingleOutputStreamOperator} used here (compile only). */
@Public
public class SingleOutputStreamOperator<T> extends DataStream<T> {
  public SingleOutputStreamOperator<T> name(String name) {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }

  public SingleOutputStreamOperator<T> setParallelism(int parallelism) {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }
}
