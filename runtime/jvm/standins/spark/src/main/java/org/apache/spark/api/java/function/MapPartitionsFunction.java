package org.apache.spark.api.java.function;

import java.io.Serializable;
import java.util.Iterator;

/** Stand-in: signature of Spark 3.5 / 4.x {@code MapPartitionsFunction} (a plain Java interface). */
@FunctionalInterface
public interface MapPartitionsFunction<T, U> extends Serializable {
  Iterator<U> call(Iterator<T> input) throws Exception;
}
