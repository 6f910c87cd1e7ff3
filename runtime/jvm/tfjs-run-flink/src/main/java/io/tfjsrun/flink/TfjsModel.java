package io.tfjsrun.flink;

import io.tfjsrun.ModelSpec;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsRuntime;
import io.tfjsrun.WatchOptions;
import java.io.Serializable;
import java.util.Objects;

/**
 * The model a tfjs-run Flink function serves: Flink's name for a {@link ModelSpec} (a bundle
 * file, or a published source to follow, with the runtime's options). This is all a function
 * serializes; each subtask opens the model in {@code open()}, and the subtasks of a TaskManager
 * share one native runtime.
 */
public final class TfjsModel implements Serializable {
  private static final long serialVersionUID = 2L;

  private final ModelSpec spec;

  private TfjsModel(ModelSpec spec) {
    this.spec = Objects.requireNonNull(spec);
  }

  /** The bundle at {@code path} on every TaskManager (e.g. shipped with the job, or on shared storage). */
  public static TfjsModel bundle(String path) {
    return new TfjsModel(ModelSpec.bundle(path));
  }

  /** The version published at {@code watch.source()}, followed as new versions appear. */
  public static TfjsModel watching(WatchOptions watch) {
    return new TfjsModel(ModelSpec.watching(watch));
  }

  public TfjsModel withOptions(RuntimeOptions options) {
    return new TfjsModel(spec.withOptions(options));
  }

  public RuntimeOptions options() {
    return spec.options();
  }

  public ModelSpec spec() {
    return spec;
  }

  /** Opens (or shares) the runtime; the caller closes the handle. */
  public TfjsRuntime open() {
    return spec.open();
  }

  @Override
  public String toString() {
    return "TfjsModel[" + spec + "]";
  }
}
