package io.tfjsrun;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * One native model set, held by every {@link TfjsModels} that opened it: a shared set by its name
 * in this class loader (so the subtasks of a Flink job in one TaskManager share its models), or a
 * private one. Reference-counted as {@link SharedRuntime} is: the last release removes every
 * model, each after answering the requests it accepted.
 *
 * <p>Calls into the native set hold the read side of a lock; the final close takes the write
 * side, so no call can reach a freed set. It also keeps what each model was loaded from, for
 * {@link TfjsModels#load}'s idempotence, since every handle of the set shares it.
 */
final class SharedModelSet {
  // Shared sets by name, and private ones; the last release, or the JVM's exit, closes a set.
  private static final SharedRegistry<SharedModelSet> REGISTRY =
      new SharedRegistry<>("tfjs-run-models-exit", SharedModelSet::closeNative);
  private static final AtomicLong privateSets = new AtomicLong();

  /** The version and the bundle's sha256 a model was last loaded from by bytes. */
  record Loaded(String version, String sha256) {}

  private final String key;
  private final String defaults;  // the resolved defaults, which every opener of a shared set must give
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private long handle;      // guarded by lock; 0 once closed
  final String name;
  final Map<String, Loaded> loaded = new ConcurrentHashMap<>();
  private final Map<String, Object> modelLocks = new ConcurrentHashMap<>();

  private SharedModelSet(String key, String name, String defaults, long handle) {
    this.key = key;
    this.name = name;
    this.defaults = defaults;
    this.handle = handle;
  }

  /** The shared set named {@code setName} (a new private one if null); one more reference. */
  static SharedModelSet acquire(String setName, RuntimeOptions defaults) {
    NativeLibraryLoader.ensureLoaded();
    String resolved = defaults.resolved().toString();  // refuses an option out of range
    long privateSet = setName != null ? 0 : privateSets.incrementAndGet();
    String key = setName != null ? "shared:" + setName : "private:" + privateSet;
    String name = setName != null ? setName : "private set " + privateSet;
    return REGISTRY.acquire(key, () -> new SharedModelSet(key, name, resolved, NativeModels.create(defaults)),
        existing -> {
          if (!existing.defaults.equals(resolved)) {
            throw new IllegalArgumentException("the shared model set '" + setName + "' is open with other defaults: "
                + existing.defaults + ", not " + resolved);
          }
        });
  }

  /** Drops one reference; the last one closes the set (every model drains) and frees it. */
  void release() {
    REGISTRY.release(key);
  }

  // A load in progress holds the read side until it ends, which a slow load() can make as long as
  // the load deadline: a reload (a model's new version) is abandoned first, so the write side
  // comes at once. A model's first load is not abandoned, and is waited for.
  private void closeNative() {
    lock.readLock().lock();
    try {
      if (handle != 0) NativeModels.stopReloading(handle);
    } finally {
      lock.readLock().unlock();
    }
    lock.writeLock().lock();
    try {
      long h = handle;
      handle = 0;
      if (h != 0) NativeModels.close(h);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Runs {@code call} with the live native handle, or throws SHUTDOWN. */
  <T> T call(LongFunction<T> call) {
    lock.readLock().lock();
    try {
      if (handle == 0) throw new TfjsException(TfjsException.Kind.SHUTDOWN, "the model set '" + name + "' is closed");
      return call.apply(handle);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Runs {@code body} alone among the loads and removals of model {@code model} in this set. */
  <T> T exclusively(String model, Supplier<T> body) {
    synchronized (modelLocks.computeIfAbsent(model, m -> new Object())) {
      return body.get();
    }
  }

  int references() {
    return REGISTRY.references(key);
  }

  /** How many native model sets this class loader holds (for tests and diagnostics). */
  static int liveSets() {
    return REGISTRY.size();
  }
}
