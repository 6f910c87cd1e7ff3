package org.apache.flink.streaming.api.datastream;

import org.apache.flink.annotation.Public;

/** Stand-in: Flink's {@code DataStreamSource}. */
@Public
public class DataStreamSource<T> extends SingleOutputStreamOperator<T> {}
