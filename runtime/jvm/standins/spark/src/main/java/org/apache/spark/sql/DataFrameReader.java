package org.apache.spark.sql;

/** Stand-in: the member of Spark's {@code DataFrameReader} the example uses (compile only). */
public abstract class DataFrameReader {
  public Dataset<String> textFile(String path) {
    throw new UnsupportedOperationException("Spark stand-in: compile only; run on a real Spark (see examples/spark-wine/README.md)");
  }
}
