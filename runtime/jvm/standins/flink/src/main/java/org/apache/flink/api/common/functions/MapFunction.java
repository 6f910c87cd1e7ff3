package org.apache.flink.api.common.functions;

import java.io.Serializable;
import org.apache.flink.annotation.Public;

/** Stand-in: signature of Flink 1.19 / 2.x {@code MapFunction}. */
@Public
@FunctionalInterface
public interface MapFunction<T, O> extends Function, Serializable {
  O map(T value) throws Exception;
}
