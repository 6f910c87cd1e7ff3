package io.tfjsrun.flink;

/**
 * What the model-stream functions need from the models a TaskManager serves, by name: apply an
 * update (all or nothing), ask which version serves, predict. The subtasks of a TaskManager share
 * one instance per set name, so every subtask applies the same broadcast update and loading it
 * must be idempotent: a model already serving that version from the same bytes is left alone.
 */
interface ServingModels extends AutoCloseable {
  /** An answer and the version that computed it. */
  record Answer(float[] values, String version) {}

  /**
   * Makes {@code u.name()} serve {@code u.version()} from {@code bundle}, once it loads, warms up
   * and gives the expected answers; otherwise the serving version (if any) keeps serving and the
   * exception says why, naming the model and version.
   */
  void load(ModelUpdate u, byte[] bundle) throws UpdateException;

  /** The version {@code name} serves, or null when it serves none. */
  String version(String name);

  /** One row through {@code name}'s serving version; throws if it serves none or the bundle fails. */
  Answer predict(String name, float[] row);

  /** Releases this lease; the last one frees the models. */
  @Override
  void close();
}
