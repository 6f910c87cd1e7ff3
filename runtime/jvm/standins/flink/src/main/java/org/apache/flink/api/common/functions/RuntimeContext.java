package org.apache.flink.api.common.functions;

import org.apache.flink.annotation.Public;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.metrics.groups.OperatorMetricGroup;

/**
 * Stand-in: the members of Flink's {@code RuntimeContext} that tfjs-run uses, with the signatures
 * they have in both 1.19 and 2.x (the 1.19-only shortcuts such as getIndexOfThisSubtask are
 * left out on purpose: they are gone in 2.0).
 */
@Public
public interface RuntimeContext {
  @PublicEvolving
  OperatorMetricGroup getMetricGroup();

  @PublicEvolving
  TaskInfo getTaskInfo();

  ClassLoader getUserCodeClassLoader();
}
