package org.apache.spark.sql;

import java.io.Closeable;
import java.io.Serializable;

/** Stand-in: the members of Spark's {@code SparkSession} the example uses (compile only). */
public abstract class SparkSession implements Serializable, Closeable {
  public static Builder builder() {
    throw new UnsupportedOperationException("Spark stand-in: compile only; run on a real Spark (see examples/spark-wine/README.md)");
  }

  public DataFrameReader read() {
    throw new UnsupportedOperationException("Spark stand-in: compile only; run on a real Spark (see examples/spark-wine/README.md)");
  }

  public void stop() {
    throw new UnsupportedOperationException("Spark stand-in: compile only; run on a real Spark (see examples/spark-wine/README.md)");
  }

  @Override
  public void close() {
    stop();
  }

  /** Stand-in: {@code SparkSession.Builder}'s appName and getOrCreate. */
  public abstract static class Builder {
    public Builder appName(String name) {
      throw new UnsupportedOperationException("Spark stand-in: compile only; run on a real Spark (see examples/spark-wine/README.md)");
    }

    public SparkSession getOrCreate() {
      throw new UnsupportedOperationException("Spark stand-in: compile only; run on a real Spark (see examples/spark-wine/README.md)");
    }
  }
}
