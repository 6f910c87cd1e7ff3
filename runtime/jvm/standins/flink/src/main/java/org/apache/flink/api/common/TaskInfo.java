package org.apache.flink.api.common;

import org.apache.flink.annotation.PublicEvolving;

/** Stand-in: the members of Flink's {@code TaskInfo} (1.19 and 2.x) that tfjs-run uses. */
@PublicEvolving
public interface TaskInfo {
  String getTaskName();

  int getIndexOfThisSubtask();

  int getNumberOfParallelSubtasks();

  int getAttemptNumber();
}
