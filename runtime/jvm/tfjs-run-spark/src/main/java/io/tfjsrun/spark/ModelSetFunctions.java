package io.tfjsrun.spark;

import io.tfjsrun.BundleInfo;
import io.tfjsrun.TfjsRuntime;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.StructType;

/**
 * The SQL functions over a {@link SparkModels} set, each taking the model's name (a literal or a
 * column) first: {@code tfjs_predict(model, struct(col, ...))} ({@link StructArguments} lets it
 * take the columns as arguments of their own) and {@code tfjs_predict_array(model, array)}, each
 * answering the model's output row as array&lt;float&gt;; a null struct or array in, null out.
 *
 * <p>The columns come as one struct, which keeps their names, so they are matched to the bundle's
 * declared feature names (in any order) as {@link FeatureColumns#named} does; a bundle that
 * declares none takes them in the struct's order.
 */
final class ModelSetFunctions {
  private ModelSetFunctions() {}

  /** A model's runtime on this executor, and what its bundle declares (read once per task, as a partition does). */
  record Served(TfjsRuntime runtime, BundleInfo info) {}

  /** What both functions share: the set, and this instance's runtimes by model name. */
  private abstract static class Function implements Serializable {
    private static final long serialVersionUID = 1L;

    final String function;
    final SparkModels models;
    private transient Map<String, Served> served;  // the executor's runtimes, looked up on first use

    Function(String function, SparkModels models) {
      this.function = function;
      this.models = models;
    }

    /** The executor's runtime of {@code model}; IllegalArgumentException naming it when the set has none. */
    Served served(String model) {
      if (served == null) served = new HashMap<>();
      Served s = served.get(model);
      if (s == null) {
        TfjsRuntime runtime = ExecutorRuntimes.get(models.spec(model));
        s = new Served(runtime, runtime.info());
        served.put(model, s);
      }
      return s;
    }

    String where(String model) {
      return "SQL function " + function + ", model '" + model + "'";
    }
  }

  /** {@code tfjs_predict(model, struct(col, ...))}. */
  static final class Columns extends Function implements UDF2<String, Row, float[]> {
    private static final long serialVersionUID = 1L;

    private transient StructType boundSchema;                // the struct the bindings are for
    private transient Map<String, FeatureColumns> bindings;  // by model name

    Columns(String function, SparkModels models) {
      super(function, models);
    }

    @Override
    public float[] call(String model, Row features) {
      if (features == null) return null;
      Served s = served(model);
      FeatureColumns columns = bind(model, features.schema(), s.info());
      if (models.nullOutputForNullFeatures() && columns.hasNull(features)) return null;
      String where = where(model);
      float[] x = columns.read(features, where);
      FeatureColumns.checkCount(model, s.info().inputCols(), x.length, "SQL function " + function);
      return s.runtime().predict(x, 1);
    }

    /** The struct's fields in the model's order; made once per model for the struct a call site passes. */
    private FeatureColumns bind(String model, StructType schema, BundleInfo info) {
      if (schema == null) {
        throw new IllegalArgumentException("tfjs-run: " + where(model) + ": the features are not a struct");
      }
      if (bindings == null || (schema != boundSchema && !schema.equals(boundSchema))) {
        bindings = new HashMap<>();
        boundSchema = schema;
      }
      FeatureColumns columns = bindings.get(model);
      if (columns == null) {
        columns = FeatureColumns.named(schema.fieldNames()).bind(schema).inModelOrder(info.featureNames());
        bindings.put(model, columns);
      }
      return columns;
    }
  }

  /** {@code tfjs_predict_array(model, array)}. */
  static final class Array extends Function implements UDF2<String, scala.collection.Seq<?>, float[]> {
    private static final long serialVersionUID = 1L;

    Array(String function, SparkModels models) {
      super(function, models);
    }

    @Override
    public float[] call(String model, scala.collection.Seq<?> features) {
      if (features == null) return null;
      Served s = served(model);
      if (models.nullOutputForNullFeatures() && FeatureColumns.hasNull(features)) return null;
      String where = where(model);
      float[] x = FeatureColumns.readArray(features, where);
      FeatureColumns.checkCount(model, s.info().inputCols(), x.length, "SQL function " + function);
      return s.runtime().predict(x, 1);
    }
  }
}
