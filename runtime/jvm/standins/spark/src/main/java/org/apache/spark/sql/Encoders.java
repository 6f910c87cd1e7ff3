package org.apache.spark.sql;

/** Stand-in: the static forwarder of Spark's {@code Encoders.STRING()} (compile only). */
public final class Encoders {
  private Encoders() {}

  public static Encoder<String> STRING() {
    throw new UnsupportedOperationException("Spark stand-in: compile only; run on a real Spark (see examples/spark-wine/README.md)");
  }
}
