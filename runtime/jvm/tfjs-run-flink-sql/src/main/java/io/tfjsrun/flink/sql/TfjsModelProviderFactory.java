package io.tfjsrun.flink.sql;

import io.tfjsrun.BundleInfo;
import io.tfjsrun.ModelSpec;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsException;
import io.tfjsrun.TfjsRuntime;
import io.tfjsrun.WatchOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.ml.ModelProvider;

/**
 * {@code CREATE MODEL m INPUT (...) OUTPUT (...) WITH ('provider' = 'tfjs', 'bundle' = '...')}: maps
 * the model's options to a {@link ModelSpec} (a bundle file or a watched source, and the runtime's
 * options); an option not set takes the C++ runtime's default. The model's INPUT and OUTPUT are
 * checked against the bundle here when this machine can open it ({@link ModelSchema}).
 */
public final class TfjsModelProviderFactory implements ModelProviderFactory {
  public static final String IDENTIFIER = "tfjs";

  static final ConfigOption<String> BUNDLE = ConfigOptions.key("bundle").stringType().noDefaultValue()
      .withDescription("The bundle: a file path or file:// URL on every TaskManager.");
  static final ConfigOption<String> WATCH = ConfigOptions.key("watch").stringType().noDefaultValue()
      .withDescription("A published layout's URL (docs/publishing.md), followed as new versions appear.");
  static final ConfigOption<Long> WATCH_POLL_MS = ConfigOptions.key("watch.poll-interval-ms").longType()
      .noDefaultValue();
  static final ConfigOption<Long> WATCH_TOTAL_TIMEOUT_MS = ConfigOptions.key("watch.timeout-ms").longType()
      .noDefaultValue();
  static final ConfigOption<Integer> THREADS = ConfigOptions.key("threads").intType().noDefaultValue();
  static final ConfigOption<Integer> BATCH_ROWS = ConfigOptions.key("batch.max-rows").intType().noDefaultValue();
  static final ConfigOption<Long> BATCH_DELAY_US = ConfigOptions.key("batch.max-delay-us").longType()
      .noDefaultValue();
  static final ConfigOption<Integer> QUEUE_ROWS = ConfigOptions.key("queue.max-rows").intType().noDefaultValue();
  static final ConfigOption<Long> LOAD_TIMEOUT_MS = ConfigOptions.key("load-timeout-ms").longType()
      .noDefaultValue();
  static final ConfigOption<Long> PREDICT_TIMEOUT_MS = ConfigOptions.key("predict-timeout-ms").longType()
      .noDefaultValue();
  static final ConfigOption<Integer> HEAP_MB = ConfigOptions.key("max-heap-mb").intType().noDefaultValue();
  static final ConfigOption<String> NULL_INPUT = ConfigOptions.key("null-input").stringType().defaultValue("fail")
      .withDescription("A row with a NULL feature: 'fail' (an error naming the column) or 'null-output' (its OUTPUT"
          + " is NULL, and it does not reach the model).");
  static final ConfigOption<String> MODEL_EXEC = ConfigOptions.key("model-exec").stringType().noDefaultValue()
      .withDescription("auto, native or tfjs.");

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of();
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of(BUNDLE, WATCH, WATCH_POLL_MS, WATCH_TOTAL_TIMEOUT_MS, THREADS, BATCH_ROWS, BATCH_DELAY_US,
                  QUEUE_ROWS, LOAD_TIMEOUT_MS, PREDICT_TIMEOUT_MS, HEAP_MB, MODEL_EXEC, NULL_INPUT);
  }

  @Override
  public ModelProvider createModelProvider(Context context) {
    FactoryUtil.ModelProviderFactoryHelper helper = FactoryUtil.createModelProviderFactoryHelper(this, context);
    helper.validate();
    ReadableConfig options = helper.getOptions();
    ModelSpec spec = spec(options);
    ModelSchema schema = ModelSchema.of(context.getCatalogModel(), nullOutput(options));
    BundleInfo info = infoAtPlanning(spec, options);
    return new TfjsModelProvider(spec, info != null ? schema.bind(info) : schema);
  }

  private static boolean nullOutput(ReadableConfig options) {
    String policy = options.get(NULL_INPUT);
    if (!policy.equals("fail") && !policy.equals("null-output")) {
      throw new ValidationException("'null-input' is fail or null-output, not '" + policy + "'");
    }
    return policy.equals("null-output");
  }

  /**
   * What the bundle declares, read here so that a schema it cannot take fails the planning: the
   * bundle file when it is on this machine, the watched source when it answers (opened with one
   * thread). Null when neither: each task checks the schema when it opens the model.
   */
  private static BundleInfo infoAtPlanning(ModelSpec spec, ReadableConfig options) {
    String bundle = options.getOptional(BUNDLE).map(TfjsModelProviderFactory::localPath).orElse(null);
    if (bundle != null && !Files.isRegularFile(Path.of(bundle))) return null;
    try (TfjsRuntime runtime = spec.withOptions(spec.options().withThreads(1)).open()) {
      return runtime.info();
    } catch (TfjsException e) {
      if (bundle == null) return null;  // a source this client cannot reach may still be one the tasks reach
      throw new ValidationException("a 'tfjs' model's bundle " + bundle + " does not open: " + e.getMessage(), e);
    }
  }

  private static String localPath(String bundle) {
    return bundle.startsWith("file://") ? bundle.substring("file://".length()) : bundle;
  }

  /** The model's options as a spec; exactly one of bundle and watch. */
  static ModelSpec spec(ReadableConfig options) {
    String bundle = options.getOptional(BUNDLE).orElse(null);
    String watch = options.getOptional(WATCH).orElse(null);
    if ((bundle == null) == (watch == null)) {
      throw new ValidationException("a 'tfjs' model needs exactly one of 'bundle' and 'watch'");
    }
    ModelSpec spec;
    if (bundle != null) {
      spec = ModelSpec.bundle(localPath(bundle));
    } else {
      WatchOptions w = WatchOptions.of(watch);
      if (options.getOptional(WATCH_POLL_MS).isPresent()) w = w.withPollIntervalMs(options.get(WATCH_POLL_MS));
      if (options.getOptional(WATCH_TOTAL_TIMEOUT_MS).isPresent()) {
        w = w.withTotalTimeoutMs(options.get(WATCH_TOTAL_TIMEOUT_MS));
      }
      spec = ModelSpec.watching(w);
    }
    return spec.withOptions(runtimeOptions(options));
  }

  private static RuntimeOptions runtimeOptions(ReadableConfig options) {
    RuntimeOptions o = RuntimeOptions.defaults();
    if (options.getOptional(THREADS).isPresent()) o = o.withThreads(options.get(THREADS));
    if (options.getOptional(BATCH_ROWS).isPresent()) o = o.withMaxBatchRows(options.get(BATCH_ROWS));
    if (options.getOptional(BATCH_DELAY_US).isPresent()) o = o.withMaxBatchDelayMicros(options.get(BATCH_DELAY_US));
    if (options.getOptional(QUEUE_ROWS).isPresent()) o = o.withMaxQueueRows(options.get(QUEUE_ROWS));
    if (options.getOptional(LOAD_TIMEOUT_MS).isPresent()) o = o.withLoadTimeoutMs(options.get(LOAD_TIMEOUT_MS));
    if (options.getOptional(PREDICT_TIMEOUT_MS).isPresent()) {
      o = o.withPredictTimeoutMs(options.get(PREDICT_TIMEOUT_MS));
    }
    if (options.getOptional(HEAP_MB).isPresent()) o = o.withMaxHeapMb(options.get(HEAP_MB));
    if (options.getOptional(MODEL_EXEC).isPresent()) {
      String exec = options.get(MODEL_EXEC);
      try {
        o = o.withModelExec(RuntimeOptions.ModelExec.valueOf(exec.toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new ValidationException("'model-exec' is auto, native or tfjs, not '" + exec + "'");
      }
    }
    return o;
  }
}
