package org.apache.spark.sql;

import java.io.Serializable;
import org.apache.spark.api.java.function.MapPartitionsFunction;

/** Stand-in: the members of Spark's {@code Dataset} the example uses (compile only). */
public abstract class Dataset<T> implements Serializable {
  public <U> Dataset<U> mapPartitions(MapPartitionsFunction<T, U> f, Encoder<U> encoder) {
    throw new UnsupportedOperationException("Spark stand-in: compile only; run on a real Spark (see examples/spark-wine/README.md)");
  }

  public DataFrameWriter<T> write() {
    throw new UnsupportedOperationException("Spark stand-in: compile only; run on a real Spark (see examples/spark-wine/README.md)");
  }
}
