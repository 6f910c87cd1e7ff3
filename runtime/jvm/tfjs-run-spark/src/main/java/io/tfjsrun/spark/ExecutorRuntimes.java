package io.tfjsrun.spark;

import io.tfjsrun.ModelSpec;
import io.tfjsrun.TfjsRuntime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One runtime per model per executor JVM, opened by the first task that needs it and shared by
 * every later task (a worker per core; tasks' batches share its queue). Spark has no hook for
 * the end of an executor, so it stays open for the JVM's life; the runtime's exit hook drains it
 * when the executor exits.
 */
final class ExecutorRuntimes {
  private static final Map<ModelSpec, TfjsRuntime> OPEN = new ConcurrentHashMap<>();
  private static final Map<ModelSpec, Integer> OPENS = new ConcurrentHashMap<>();

  private ExecutorRuntimes() {}

  static TfjsRuntime get(ModelSpec model) {
    return OPEN.computeIfAbsent(model, m -> {
      OPENS.merge(m, 1, Integer::sum);
      return m.open();
    });
  }

  /** How many times this JVM opened {@code model} (for tests: once, whatever the tasks). */
  static int opens(ModelSpec model) {
    return OPENS.getOrDefault(model, 0);
  }
}
