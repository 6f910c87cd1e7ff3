package org.apache.flink.api.common.functions;

import org.apache.flink.annotation.Public;

/** Stand-in: Flink's {@code IterationRuntimeContext} (no members used). */
@Public
public interface IterationRuntimeContext extends RuntimeContext {}
