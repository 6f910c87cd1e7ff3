package io.tfjsrun.spark;

import io.tfjsrun.ModelSpec;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A set of models under names, as a value Spark can ship to its executors: the SQL functions
 * ({@link TfjsSpark#register(org.apache.spark.sql.SparkSession, SparkModels)}) and
 * {@link TfjsSpark#predict(org.apache.spark.sql.Dataset, SparkModels, String, FeatureColumns, String)} pick one
 * by name. Each executor JVM opens a model on the first task that uses it, and every later task shares it (one
 * runtime per model, so one model's load or failure never touches another). Immutable.
 *
 * <p>A null feature fails its task (or query) naming the column; {@link #withNullOutputForNullFeatures()} makes
 * a row with a null feature answer null instead, without reaching the model.
 */
public final class SparkModels implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Map<String, ModelSpec> models;  // in the order given, for error messages
  private final boolean nullOutputForNullFeatures;

  private SparkModels(Map<String, ModelSpec> models, boolean nullOutputForNullFeatures) {
    this.models = Collections.unmodifiableMap(models);
    this.nullOutputForNullFeatures = nullOutputForNullFeatures;
  }

  public static SparkModels of(Map<String, ModelSpec> models) {
    Map<String, ModelSpec> copy = new LinkedHashMap<>();
    models.forEach((name, spec) -> copy.put(Objects.requireNonNull(name), Objects.requireNonNull(spec, name)));
    if (copy.isEmpty()) throw new IllegalArgumentException("tfjs-run: no models in the set");
    return new SparkModels(copy, false);
  }

  public static SparkModels of(String name, ModelSpec model) {
    return of(Map.of(name, model));
  }

  /** This set with {@code name} added (or replaced). */
  public SparkModels with(String name, ModelSpec model) {
    Map<String, ModelSpec> copy = new LinkedHashMap<>(models);
    copy.put(Objects.requireNonNull(name), Objects.requireNonNull(model, name));
    return new SparkModels(copy, nullOutputForNullFeatures);
  }

  /** This set, answering null for a row with a null feature rather than failing. */
  public SparkModels withNullOutputForNullFeatures() {
    return new SparkModels(new LinkedHashMap<>(models), true);
  }

  public boolean nullOutputForNullFeatures() {
    return nullOutputForNullFeatures;
  }

  public Set<String> names() {
    return models.keySet();
  }

  /** The model called {@code name}; IllegalArgumentException naming it when the set has none. */
  public ModelSpec spec(String name) {
    if (name == null) throw new IllegalArgumentException("tfjs-run: the model name is null; the set has " + names());
    ModelSpec spec = models.get(name);
    if (spec == null) {
      throw new IllegalArgumentException("tfjs-run: no model '" + name + "' in the set, which has " + names());
    }
    return spec;
  }

  @Override
  public String toString() {
    return "models " + names() + (nullOutputForNullFeatures ? ", null features give null" : "");
  }
}
