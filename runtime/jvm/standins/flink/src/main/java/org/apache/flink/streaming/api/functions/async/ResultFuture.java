package org.apache.flink.streaming.api.functions.async;

import java.util.Collection;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Stand-in: Flink's {@code ResultFuture} as of 1.19 and 2.0. (2.1 adds an abstract
 * complete(CollectionSupplier); tfjs-run only calls complete(Collection) and
 * completeExceptionally, which every version has.)
 */
@PublicEvolving
public interface ResultFuture<OUT> {
  void complete(Collection<OUT> result);

  void completeExceptionally(Throwable error);
}
