package io.tfjsrun;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Native objects shared by key in this class loader, reference-counted: {@link #acquire} opens one
 * or takes one more reference to it, and the last {@link #release} removes and closes it. What is
 * still open when the JVM exits is closed by a shutdown hook, so no worker runs JS while the
 * process tears down. The hook is registered only while something is open: a hook pins its class
 * loader, and Flink unloads a job's class loader when the job ends.
 */
final class SharedRegistry<T> {
  private final String hookName;
  private final Consumer<T> close;
  private final Map<String, T> open = new HashMap<>();
  private final Map<String, Integer> references = new HashMap<>();
  private Thread exitHook;  // guarded by this

  SharedRegistry(String hookName, Consumer<T> close) {
    this.hookName = hookName;
    this.close = close;
  }

  /**
   * The object under {@code key}, checked by {@code reuse} (which may throw), or a new one from
   * {@code opener}, made under the registry's lock: a second opener of the same key waits for this
   * one rather than making another. Either way, one more reference.
   */
  synchronized T acquire(String key, Supplier<T> opener, Consumer<T> reuse) {
    T object = open.get(key);
    if (object == null) {
      object = opener.get();
      open.put(key, object);
      if (exitHook == null) {
        exitHook = new Thread(this::closeAllAtExit, hookName);
        Runtime.getRuntime().addShutdownHook(exitHook);
      }
    } else {
      reuse.accept(object);
    }
    references.merge(key, 1, Integer::sum);
    return object;
  }

  /** Drops one reference to {@code key}; the last one removes the object and closes it. */
  void release(String key) {
    T object;
    synchronized (this) {
      if (references.merge(key, -1, Integer::sum) > 0) return;
      references.remove(key);
      object = open.remove(key);  // null if the exit hook closed it already
      if (open.isEmpty() && exitHook != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(exitHook);
        } catch (IllegalStateException exiting) {
          // The JVM is exiting: the hook is running or about to; it finds nothing left.
        }
        exitHook = null;
      }
    }
    if (object != null) close.accept(object);
  }

  private void closeAllAtExit() {
    List<T> all;
    synchronized (this) {
      all = new ArrayList<>(open.values());
      open.clear();
      references.clear();
      exitHook = null;
    }
    for (T object : all) close.accept(object);
  }

  synchronized int references(String key) {
    return references.getOrDefault(key, 0);
  }

  /** How many objects are open. */
  synchronized int size() {
    return open.size();
  }
}
