package org.apache.flink.api.common.functions;

import org.apache.flink.annotation.Public;

/** Stand-in: Flink 2.x {@code OpenContext} (@PublicEvolving in 1.19; same members). */
@Public
public interface OpenContext {}
