package io.tfjsrun.flink;

import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsRuntime;
import io.tfjsrun.WatchOptions;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Which model a function serves and how: a bundle file, or a published source to follow (hot
 * reload), with the runtime's options. This is all a tfjs-run function serializes: Flink ships
 * functions to TaskManagers as bytes, so no native handle ever travels; each subtask opens the
 * model in {@code open()}, and the subtasks of a TaskManager share one native runtime.
 */
public final class TfjsModel implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String bundlePath;       // or null
  private final WatchOptions watch;      // or null
  private final RuntimeOptions options;

  private TfjsModel(String bundlePath, WatchOptions watch, RuntimeOptions options) {
    this.bundlePath = bundlePath;
    this.watch = watch;
    this.options = Objects.requireNonNull(options);
  }

  /** The bundle at {@code path} on every TaskManager (e.g. shipped with the job, or on shared storage). */
  public static TfjsModel bundle(String path) {
    return new TfjsModel(Objects.requireNonNull(path), null, RuntimeOptions.defaults());
  }

  /** The version published at {@code watch.source()}, followed as new versions appear. */
  public static TfjsModel watching(WatchOptions watch) {
    return new TfjsModel(null, Objects.requireNonNull(watch), RuntimeOptions.defaults());
  }

  public TfjsModel withOptions(RuntimeOptions options) {
    return new TfjsModel(bundlePath, watch, options);
  }

  public RuntimeOptions options() {
    return options;
  }

  /** Opens (or shares) the runtime; the caller closes the handle. */
  public TfjsRuntime open() {
    return watch != null ? TfjsRuntime.openWatching(watch, options) : TfjsRuntime.open(Path.of(bundlePath), options);
  }

  @Override
  public String toString() {
    return "TfjsModel[" + (watch != null ? watch : bundlePath) + ", " + options + "]";
  }
}
