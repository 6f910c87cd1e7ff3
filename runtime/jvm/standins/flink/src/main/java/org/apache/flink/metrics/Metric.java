package org.apache.flink.metrics;

import org.apache.flink.annotation.Public;

/** Stand-in: Flink's {@code Metric} marker (its default getMetricType is not used). */
@Public
public interface Metric {}
