package org.apache.flink.metrics;

import org.apache.flink.annotation.Public;

/** Stand-in: the members of Flink's {@code MetricGroup} that tfjs-run uses (1.19 and 2.x). */
@Public
public interface MetricGroup {
  Counter counter(String name);

  <T, G extends Gauge<T>> G gauge(String name, G gauge);

  MetricGroup addGroup(String name);
}
