package io.tfjsrun.flink;

import io.tfjsrun.ModelStats;
import io.tfjsrun.Prediction;
import io.tfjsrun.ReloadResult;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsException;
import io.tfjsrun.TfjsModels;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models a TaskManager serves to its model-stream subtasks, by name: {@link TfjsModels}'
 * shared set (one per set name in the job's class loader), so a version loaded by one subtask
 * serves them all. The runtime checks a version before it serves (load, warm-up, the update's
 * expected answers) and makes a repeated load of the same version and bytes a no-op, so every
 * subtask can apply every broadcast update.
 *
 * <p>What this adds is noticing a rollback: in its grace window the runtime swaps the previous
 * version back in when the new one fails a request the previous one answers. The TaskManager's
 * subtasks share a record of the version each model last loaded as, so the first subtask that sees
 * another version serving claims the rollback, and it is reported once per TaskManager.
 */
final class ServingModels implements AutoCloseable {
  /** A version the runtime swapped out after it served, and the one serving again. */
  record Rollback(String model, String version, String servingAgain, String why) {}

  // What the subtasks of a set share beside the models: the version each model last loaded (or was
  // rolled back) as, and each model's last rollback.
  private static final class Record {
    final Map<String, String> loaded = new ConcurrentHashMap<>();
    final Map<String, Rollback> rollbacks = new ConcurrentHashMap<>();
    // Why a load failed, by model, version and sha256: the runtime marks such a version bad, and the
    // subtasks applying the same update after the first must report the first's reason, not "marked bad".
    final Map<String, String> failures = new ConcurrentHashMap<>();
    int leases;
  }

  private static final Map<String, Record> RECORDS = new HashMap<>();

  private final String setName;
  private final TfjsModels models;
  private final Record record;
  private final Map<String, String> loaded;

  private ServingModels(String setName, TfjsModels models, Record record) {
    this.setName = setName;
    this.models = models;
    this.record = record;
    this.loaded = record.loaded;
  }

  /** The TaskManager's set named {@code setName}, created with {@code options} by its first user; close each. */
  static ServingModels shared(String setName, RuntimeOptions options) {
    synchronized (RECORDS) {
      TfjsModels models = TfjsModels.shared(setName, options);
      Record record = RECORDS.computeIfAbsent(setName, n -> new Record());
      record.leases++;
      return new ServingModels(setName, models, record);
    }
  }

  /**
   * Makes {@code u.name()} serve {@code u.version()} from {@code bundle}, once it loads, warms up
   * and gives the expected answers; otherwise the serving version (if any) keeps serving and the
   * exception says why, naming the model and version.
   */
  void load(ModelUpdate u, byte[] bundle) throws UpdateException {
    ReloadResult r;
    String key = u.name() + "@" + u.version() + "#" + BundleFetcher.sha256(bundle);
    // One load at a time per set, so a rollback check never reads a half-recorded load.
    synchronized (loaded) {
      String failed = record.failures.get(key);
      if (failed != null) throw new UpdateException(u, failed);
      try {
        String origin = u.url() != null ? u.url() : u.name() + "@" + u.version();
        r = models.load(u.name(), bundle, origin, u.version(), u.sampleRows(), u.expectedRows(), u.tolerance());
      } catch (TfjsException e) {
        throw new UpdateException(u, e.getMessage());
      }
      if (r.ok()) loaded.put(u.name(), r.version());
      else record.failures.put(key, r.error());
    }
    if (!r.ok()) throw new UpdateException(u, r.error());
  }

  /** The version {@code name} serves, or null when it serves none. */
  String version(String name) {
    return models.contains(name) ? models.version(name) : null;
  }

  /** The version {@code name} was last loaded as in this TaskManager (no native call), or null. */
  String loadedVersion(String name) {
    return loaded.get(name);
  }

  /**
   * The rollback of {@code name}, if the runtime serves another version than it last loaded, to
   * the first caller only: the record moves to the version serving again.
   */
  Rollback claimRollback(String name) {
    synchronized (loaded) {
      String was = loaded.get(name);
      String now = version(name);
      if (was == null || now == null || was.equals(now)) return null;
      loaded.put(name, now);
      String why = models.stats(name).runtime.lastRollback;
      Rollback r = new Rollback(name, was, now, why == null || why.isEmpty() ? "the runtime serves " + now + " again"
          : why);
      record.rollbacks.put(name, r);
      return r;
    }
  }

  /** The last rollback of {@code name} in this TaskManager, claimed or not, or null. */
  Rollback lastRollback(String name) {
    return record.rollbacks.get(name);
  }

  /** One row through {@code name}'s serving version; throws {@link TfjsException} if it fails. */
  Prediction predict(String name, float[] row) {
    return models.predictVersioned(name, row, 1);
  }

  /** The model's FLIP-23 stats in this TaskManager, or null when it serves nothing or the set is closed. */
  ModelStats stats(String name) {
    try {
      return models.isClosed() || !models.contains(name) ? null : models.stats(name);
    } catch (TfjsException e) {
      return null;  // closed or removed between the check and the call: no stats
    }
  }

  /** Releases this lease; the last one frees the models. */
  @Override
  public void close() {
    synchronized (RECORDS) {
      if (models.isClosed()) return;
      models.close();
      if (--record.leases == 0) RECORDS.remove(setName);
    }
  }
}
