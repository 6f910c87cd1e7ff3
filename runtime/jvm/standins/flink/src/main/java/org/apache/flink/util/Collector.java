package org.apache.flink.util;

import org.apache.flink.annotation.Public;

/** Stand-in: signature of Flink's {@code Collector}. */
@Public
public interface Collector<T> {
  void collect(T record);

  void close();
}
