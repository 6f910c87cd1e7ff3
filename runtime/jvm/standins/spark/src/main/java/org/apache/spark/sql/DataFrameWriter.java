package org.apache.spark.sql;

/** Stand-in: the member of Spark's {@code DataFrameWriter} the example uses (compile only). */
public abstract class DataFrameWriter<T> {
  public void text(String path) {
    throw new UnsupportedOperationException("Spark stand-in: compile only; run on a real Spark (see examples/spark-wine/README.md)");
  }
}
