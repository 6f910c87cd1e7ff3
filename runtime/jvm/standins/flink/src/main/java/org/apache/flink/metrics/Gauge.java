package org.apache.flink.metrics;

import org.apache.flink.annotation.Public;

/** Stand-in: signature of Flink's {@code Gauge}. */
@Public
public interface Gauge<T> extends Metric {
  T getValue();
}
