package io.tfjsrun.examples.flink.stream;

import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.flink.ModelUpdate;
import io.tfjsrun.flink.ModelUpdateSchema;
import io.tfjsrun.flink.TfjsModelStreamFunction;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Wine rows answered by models published to Kafka (FLIP-23): the data topic carries
 * "model,cultivar,13 measurements" lines, the updates topic {@link ModelUpdate}s
 * ({@link ModelUpdateSchema}); publish a new version and the running job switches to it. The job
 * prints, per model and version, the running accuracy, and every rejected update with its reason.
 *
 * <pre>
 *   flink run -c io.tfjsrun.examples.flink.stream.ModelStreamJob flink-model-stream-0.1.0.jar BOOTSTRAP DATA UPDATES
 * </pre>
 */
public final class ModelStreamJob {
  private ModelStreamJob() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: ModelStreamJob BOOTSTRAP_SERVERS DATA_TOPIC UPDATES_TOPIC");
      System.exit(2);
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.enableCheckpointing(10_000);  // the serving versions are in every checkpoint
    KafkaSource<String> data = source(args[0], args[1], new SimpleStringSchema(), null);
    KafkaSource<ModelUpdate> updates = source(args[0], args[2], new ModelUpdateSchema(), null);
    build(env, data, updates).print();
    env.execute("tfjs-run wine models as a stream");
  }

  /** A topic read from its beginning; {@code stop} bounds it (tests), null reads on forever. */
  public static <T> KafkaSource<T> source(String bootstrap, String topic,
      org.apache.flink.api.common.serialization.DeserializationSchema<T> schema, OffsetsInitializer stop) {
    var builder = KafkaSource.<T>builder().setBootstrapServers(bootstrap).setTopics(topic)
        .setGroupId("tfjs-run-model-stream").setStartingOffsets(OffsetsInitializer.earliest())
        .setValueOnlyDeserializer(schema);
    if (stop != null) builder.setBounded(stop);
    return builder.build();
  }

  /** The job: rows answered by their model's serving version, then one report line per answer. */
  public static DataStream<String> build(StreamExecutionEnvironment env, KafkaSource<String> data,
      KafkaSource<ModelUpdate> updates) {
    DataStream<WineRow> rows = env.fromSource(data, WatermarkStrategy.noWatermarks(), "wine rows")
        .map(WineRow::parse).returns(WineRow.class).rebalance();
    DataStream<ModelUpdate> models = env.fromSource(updates, WatermarkStrategy.noWatermarks(), "model updates");
    TfjsModelStreamFunction<WineRow, Answer> fn = new TfjsModelStreamFunction<>("wine-models",
        RuntimeOptions.defaults(), TypeInformation.of(WineRow.class), row -> row.model, row -> row.features,
        Answer::of, TypeInformation.of(Answer.class));
    SingleOutputStreamOperator<Answer> answers = TfjsModelStreamFunction.connect(rows, models, fn).name("wine models");
    DataStream<String> accuracy = answers.keyBy(a -> a.model + "@" + a.version).map(new RunningAccuracy());
    DataStream<String> rejected = answers.getSideOutput(TfjsModelStreamFunction.REJECTED_UPDATES)
        .map(r -> "rejected " + r).returns(String.class);
    DataStream<String> unserved = answers.getSideOutput(fn.unserved())
        .map(r -> "unserved row of model " + r.model + " (no version served yet)").returns(String.class);
    DataStream<String> failed = answers.getSideOutput(fn.failedPredictions())
        .map(f -> "failed row of model " + f.model + " version " + f.version + ": " + f.reason).returns(String.class);
    return accuracy.union(rejected, unserved, failed);
  }
}
