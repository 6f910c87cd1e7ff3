package org.apache.flink.streaming.api.environment;

import java.util.Collection;
import org.apache.flink.annotation.Public;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.streaming.api.datastream.DataStreamSource;

/** Stand-in: the members of Flink's {@code StreamExecutionEnvironment} used here (compile only). */
@Public
public class StreamExecutionEnvironment implements AutoCloseable {
  public static StreamExecutionEnvironment getExecutionEnvironment() {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }

  public StreamExecutionEnvironment setParallelism(int parallelism) {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }

  public <OUT> DataStreamSource<OUT> fromData(Collection<OUT> data) {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }

  public JobExecutionResult execute(String jobName) throws Exception {
    throw new UnsupportedOperationException("Flink stand-in: compile only; run the job on a real Flink (see examples/flink-wine/README.md)");
  }

  @Override
  public void close() throws Exception {}
}
