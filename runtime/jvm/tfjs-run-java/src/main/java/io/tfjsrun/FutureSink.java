package io.tfjsrun;

import java.util.concurrent.CompletableFuture;

/** Completes a CompletableFuture from the native worker that finished the request. */
final class FutureSink extends CompletableFuture<Prediction> implements ResultSink {
  @Override
  public void ok(float[] values, int rows, int cols, String version, int worker) {
    complete(new Prediction(values, rows, cols, version, worker));
  }

  @Override
  public void fail(Throwable error) {
    completeExceptionally(error);
  }
}
