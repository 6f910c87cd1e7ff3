package io.tfjsrun.flink;

import java.io.Serializable;

/** The name of the model that should answer a record (the model stream's routing key). */
@FunctionalInterface
public interface ModelSelector<IN> extends Serializable {
  String model(IN record) throws Exception;
}
