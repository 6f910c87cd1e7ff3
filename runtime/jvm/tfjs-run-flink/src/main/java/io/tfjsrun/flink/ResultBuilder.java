package io.tfjsrun.flink;

import java.io.Serializable;

/** Turns a record and its output row (and the bundle version that computed it) into the result record. */
@FunctionalInterface
public interface ResultBuilder<IN, OUT> extends Serializable {
  OUT result(IN record, float[] output, String version) throws Exception;
}
