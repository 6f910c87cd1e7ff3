package org.apache.flink.api.common.functions;

import org.apache.flink.annotation.Public;

/** Stand-in: signature of Flink 1.19 / 2.x {@code Function}. */
@Public
public interface Function extends java.io.Serializable {}
