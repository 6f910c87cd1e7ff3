package io.tfjsrun;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Which model to serve and how, as a value an engine can ship: a bundle file, or a published
 * source to follow (hot reload), with the runtime's options. Flink and Spark serialize their
 * functions to ship them, so a native handle never travels: each task opens the spec where it
 * runs, and the tasks of one JVM share one native runtime (equal specs, one runtime).
 */
public final class ModelSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String bundlePath;       // or null
  private final WatchOptions watch;      // or null
  private final RuntimeOptions options;
  private final String key;  // what equality and hashing compare, made once: specs key maps per call

  private ModelSpec(String bundlePath, WatchOptions watch, RuntimeOptions options) {
    this.bundlePath = bundlePath;
    this.watch = watch;
    this.options = Objects.requireNonNull(options);
    this.key = (watch != null ? watch.toString() : bundlePath) + ", " + options;
  }

  /** The bundle at {@code path} on every worker machine (shipped with the job, or on shared storage). */
  public static ModelSpec bundle(String path) {
    return new ModelSpec(Objects.requireNonNull(path), null, RuntimeOptions.defaults());
  }

  /** The version published at {@code watch.source()}, followed as new versions appear. */
  public static ModelSpec watching(WatchOptions watch) {
    return new ModelSpec(null, Objects.requireNonNull(watch), RuntimeOptions.defaults());
  }

  public ModelSpec withOptions(RuntimeOptions options) {
    return new ModelSpec(bundlePath, watch, options);
  }

  public RuntimeOptions options() {
    return options;
  }

  /** Opens (or shares) the runtime; the caller closes the handle. */
  public TfjsRuntime open() {
    return watch != null ? TfjsRuntime.openWatching(watch, options) : TfjsRuntime.open(Path.of(bundlePath), options);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec m && m.key.equals(key);
  }

  @Override
  public int hashCode() {
    return key.hashCode();
  }

  @Override
  public String toString() {
    return key;
  }
}
