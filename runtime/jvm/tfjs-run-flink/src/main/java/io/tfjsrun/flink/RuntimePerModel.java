package io.tfjsrun.flink;

import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsRuntime;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * {@link ServingModels} as one {@link TfjsRuntime} per model, shared by the subtasks of a JVM under
 * a set name (lease-counted: the last {@link #close} frees the runtimes).
 *
 * <p>A new version opens a fresh runtime beside the serving one, checks it on the update's sample,
 * and only then takes the serving one's place (which is closed once no prediction uses it), so a
 * bad version never touches what serves, and a runtime that another user of the same bundle
 * shares in this JVM is never reloaded under it.
 */
final class RuntimePerModel implements ServingModels {
  private static final Map<String, RuntimePerModel> SETS = new HashMap<>();

  private final String setName;
  private final RuntimeOptions options;
  private final Map<String, Served> models = new HashMap<>();
  // Predictions hold it shared; a swap holds it alone, so a runtime is closed with nothing in flight.
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private int leases;

  private record Served(TfjsRuntime runtime, String version, String sha256) {}

  private RuntimePerModel(String setName, RuntimeOptions options) {
    this.setName = setName;
    this.options = options;
  }

  /** The JVM's set named {@code setName}, created with {@code options} by its first user. */
  static RuntimePerModel shared(String setName, RuntimeOptions options) {
    synchronized (SETS) {
      RuntimePerModel set = SETS.computeIfAbsent(setName, n -> new RuntimePerModel(n, options));
      set.leases++;
      return set;
    }
  }

  @Override
  public void load(ModelUpdate u, byte[] bundle) throws UpdateException {
    String sha256 = BundleFetcher.sha256(bundle);
    // One update at a time per set: the subtasks applying the same update wait for the first, then see it served.
    synchronized (this) {
      Served current = served(u.name());
      if (current != null && current.version.equals(u.version()) && current.sha256.equals(sha256)) return;
      TfjsRuntime fresh;
      try {
        fresh = TfjsRuntime.open(bundle, u.name() + "@" + u.version(), options);
      } catch (RuntimeException e) {
        throw new UpdateException(u, "it does not load: " + e.getMessage());
      }
      try {
        UpdateCheck.check(u, fresh);
      } catch (UpdateException | RuntimeException e) {
        fresh.close();
        if (e instanceof UpdateException) throw (UpdateException) e;
        throw new UpdateException(u, "its warm-up failed: " + e.getMessage());
      }
      lock.writeLock().lock();
      try {
        models.put(u.name(), new Served(fresh, u.version(), sha256));
        if (current != null) current.runtime.close();
      } finally {
        lock.writeLock().unlock();
      }
    }
  }

  private Served served(String name) {
    lock.readLock().lock();
    try {
      return models.get(name);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public String version(String name) {
    Served s = served(name);
    return s == null ? null : s.version;
  }

  @Override
  public Answer predict(String name, float[] row) {
    lock.readLock().lock();
    try {
      Served s = models.get(name);
      if (s == null) throw new IllegalStateException("model '" + name + "' serves no version");
      return new Answer(s.runtime.predict(row, 1), s.version);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void close() {
    synchronized (SETS) {
      if (--leases > 0) return;
      SETS.remove(setName);
    }
    lock.writeLock().lock();
    try {
      models.values().forEach(s -> s.runtime.close());
      models.clear();
    } finally {
      lock.writeLock().unlock();
    }
  }
}
