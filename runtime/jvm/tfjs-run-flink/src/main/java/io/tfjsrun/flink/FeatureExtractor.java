package io.tfjsrun.flink;

import java.io.Serializable;

/** Turns a record into one feature row (the bundle's input width). */
@FunctionalInterface
public interface FeatureExtractor<IN> extends Serializable {
  float[] features(IN record) throws Exception;
}
