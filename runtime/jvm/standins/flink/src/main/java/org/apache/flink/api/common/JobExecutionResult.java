package org.apache.flink.api.common;

import org.apache.flink.annotation.Public;

/** Stand-in: Flink's {@code JobExecutionResult} (no members used). */
@Public
public class JobExecutionResult {}
