package org.apache.flink.metrics;

import org.apache.flink.annotation.Public;

/** Stand-in: signature of Flink's {@code Counter}. */
@Public
public interface Counter extends Metric {
  void inc();

  void inc(long n);

  void dec();

  void dec(long n);

  long getCount();
}
