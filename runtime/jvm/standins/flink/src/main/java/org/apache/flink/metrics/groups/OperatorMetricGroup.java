package org.apache.flink.metrics.groups;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.metrics.MetricGroup;

/** Stand-in: Flink's {@code OperatorMetricGroup} (its getIOMetricGroup is not used). */
@PublicEvolving
public interface OperatorMetricGroup extends MetricGroup {}
