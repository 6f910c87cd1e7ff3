package org.apache.spark.sql;

import java.io.Serializable;

/** Stand-in: Spark's {@code Encoder} (its schema() and clsTag() are not used). */
public interface Encoder<T> extends Serializable {}
