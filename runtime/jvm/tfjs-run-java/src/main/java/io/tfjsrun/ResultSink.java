package io.tfjsrun;

/** Where a worker thread delivers one asynchronous result (called by the native bridge, once). */
interface ResultSink {
  void ok(float[] values, int rows, int cols, String version, int worker);

  void fail(Throwable error);
}
