package org.apache.flink.streaming.api.functions.windowing;

import java.io.Serializable;
import org.apache.flink.annotation.Public;
import org.apache.flink.api.common.functions.Function;
import org.apache.flink.streaming.api.windowing.windows.Window;
import org.apache.flink.util.Collector;

/** Stand-in: signature of Flink 1.19 / 2.x {@code AllWindowFunction}. */
@Public
public interface AllWindowFunction<IN, OUT, W extends Window> extends Function, Serializable {
  void apply(W window, Iterable<IN> values, Collector<OUT> out) throws Exception;
}
