package io.tfjsrun;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * One native runtime (one isolate per core) shared by every {@link TfjsRuntime} that opened the
 * same bundle with the same options in this class loader, reference-counted. The last release
 * shuts it down after draining its accepted requests.
 *
 * <p>Calls into the native runtime hold the read side of a lock; the final shutdown takes the
 * write side, so no call can reach a freed runtime.
 */
final class SharedRuntime {
  private static final Map<String, SharedRuntime> REGISTRY = new HashMap<>();
  // Drains the runtimes still open when the JVM exits (so no worker runs JS while the process
  // tears down). Registered only while a runtime is open: a hook pins its class loader, and
  // Flink unloads a job's class loader when the job ends.
  private static Thread exitHook;  // guarded by REGISTRY

  private final String key;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private long handle;      // guarded by lock; 0 once shut down
  private int references;   // guarded by REGISTRY
  final long inputCols;
  final String name;

  private SharedRuntime(String key, long handle) {
    this.key = key;
    this.handle = handle;
    BundleInfo info = NativeRuntime.info(handle);
    this.inputCols = info.inputCols();
    this.name = info.name();
  }

  /** The runtime registered under {@code key}, or a new one from {@code start}; one more reference. */
  static SharedRuntime acquire(String key, LongSupplier start) {
    NativeLibraryLoader.ensureLoaded();
    synchronized (REGISTRY) {
      SharedRuntime shared = REGISTRY.get(key);
      if (shared == null) {
        // Loading happens under the registry lock: a second subtask opening the same bundle
        // waits for this load rather than starting a second runtime.
        shared = new SharedRuntime(key, start.getAsLong());
        REGISTRY.put(key, shared);
        if (exitHook == null) {
          exitHook = new Thread(SharedRuntime::shutdownAllAtExit, "tfjs-run-exit");
          Runtime.getRuntime().addShutdownHook(exitHook);
        }
      }
      shared.references++;
      return shared;
    }
  }

  /** Drops one reference; the last one shuts the runtime down (draining) and frees it. */
  void release() {
    synchronized (REGISTRY) {
      if (--references > 0) return;
      REGISTRY.remove(key);
      if (REGISTRY.isEmpty() && exitHook != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(exitHook);
        } catch (IllegalStateException exiting) {
          // The JVM is exiting: the hook is running or about to; it finds nothing left.
        }
        exitHook = null;
      }
    }
    shutdownNative();
  }

  private static void shutdownAllAtExit() {
    java.util.List<SharedRuntime> open;
    synchronized (REGISTRY) {
      open = new java.util.ArrayList<>(REGISTRY.values());
      REGISTRY.clear();
      exitHook = null;
    }
    for (SharedRuntime shared : open) shared.shutdownNative();
  }

  private void shutdownNative() {
    // A reload in progress holds the read side until its load ends, which a slow load() can
    // make as long as the load deadline: abandon it first, so the write side comes at once.
    lock.readLock().lock();
    try {
      if (handle != 0) NativeRuntime.stopReloading(handle);
    } finally {
      lock.readLock().unlock();
    }
    lock.writeLock().lock();
    try {
      long h = handle;
      handle = 0;
      if (h != 0) NativeRuntime.shutdown(h);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Runs {@code call} with the live native handle, or throws SHUTDOWN. */
  <T> T call(LongFunction<T> call) {
    lock.readLock().lock();
    try {
      if (handle == 0) throw new TfjsException(TfjsException.Kind.SHUTDOWN, "the runtime is shut down", "", name, "");
      return call.apply(handle);
    } finally {
      lock.readLock().unlock();
    }
  }

  int references() {
    synchronized (REGISTRY) {
      return references;
    }
  }

  /** How many distinct native runtimes this class loader holds (for tests and diagnostics). */
  static int liveRuntimes() {
    synchronized (REGISTRY) {
      return REGISTRY.size();
    }
  }
}
