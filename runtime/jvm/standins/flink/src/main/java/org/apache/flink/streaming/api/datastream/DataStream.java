package org.apache.flink.streaming.api.datastream;

import org.apache.flink.annotation.Public;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.windowing.windows.GlobalWindow;

/** Stand-in: the members of Flink's {@code DataStream} used by the examples (compile only). */
@Public
public class DataStream<T> {
  public <R> SingleOutputStreamOperator<R> map(MapFunction<T, R> mapper) {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }

  public AllWindowedStream<T, GlobalWindow> countWindowAll(long size) {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }

  @PublicEvolving
  public DataStreamSink<T> print() {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }
}
