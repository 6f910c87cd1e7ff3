package org.apache.flink.streaming.api.datastream;

import org.apache.flink.annotation.Public;

/** Stand-in: Flink's {@code DataStreamSink} (no members used). */
@Public
public class DataStreamSink<T> {}
