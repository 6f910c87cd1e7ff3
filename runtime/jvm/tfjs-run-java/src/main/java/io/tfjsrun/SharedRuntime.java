package io.tfjsrun;

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
  // By key; the last release, or the JVM's exit, drains and shuts a runtime down.
  private static final SharedRegistry<SharedRuntime> REGISTRY =
      new SharedRegistry<>("tfjs-run-exit", SharedRuntime::shutdownNative);

  private final String key;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private long handle;      // guarded by lock; 0 once shut down
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
    return REGISTRY.acquire(key, () -> new SharedRuntime(key, start.getAsLong()), existing -> {});
  }

  /** Drops one reference; the last one shuts the runtime down (draining) and frees it. */
  void release() {
    REGISTRY.release(key);
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
    return REGISTRY.references(key);
  }

  /** How many distinct native runtimes this class loader holds (for tests and diagnostics). */
  static int liveRuntimes() {
    return REGISTRY.size();
  }
}
