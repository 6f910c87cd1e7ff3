package io.tfjsrun.flink;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Kafka 4.x broker (KRaft, one node, free ports) for a test class, as a
 * {@code @RegisterExtension static} field: started before the class's tests, stopped after.
 *
 * <p>It runs in a child JVM on kafka-test-broker's class path (target/broker.classpath, written by
 * its build), so this JVM keeps the kafka-clients of the Flink connector under test. The child
 * stops when its standard input closes, so it also goes if this JVM dies.
 */
public final class KafkaBroker implements BeforeAllCallback, AfterAllCallback {
  private static final long START_TIMEOUT_S = 120;

  private Process process;
  private String bootstrap;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    stop();
  }

  public void start() throws IOException, InterruptedException {
    Path dir = Paths.get(System.getProperty("tfjs.kafka.broker.dir", "../kafka-test-broker/target"));
    Path classpathFile = dir.resolve("broker.classpath");
    if (!Files.isRegularFile(classpathFile)) {
      throw new IllegalStateException(classpathFile + " is missing: build runtime/jvm/kafka-test-broker first");
    }
    String classpath = dir.resolve("classes") + java.io.File.pathSeparator
        + Files.readString(classpathFile).trim();
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    process = new ProcessBuilder(java.toString(), "-Xmx512m", "-cp", classpath, "io.tfjsrun.kafka.TestBroker")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
      try {
        for (String line; (line = out.readLine()) != null; ) {
          if (line.startsWith("bootstrap=")) return line.substring("bootstrap=".length());
        }
        return null;
      } catch (IOException e) {
        return null;
      }
    });
    try {
      bootstrap = ready.get(START_TIMEOUT_S, TimeUnit.SECONDS);
    } catch (Exception e) {
      bootstrap = null;
    }
    if (bootstrap == null) {
      process.destroyForcibly();
      throw new IllegalStateException("the test Kafka broker did not start (see its output above)");
    }
  }

  public void stop() throws InterruptedException {
    if (process == null) return;
    try {
      process.getOutputStream().close();  // the broker's signal to shut down cleanly
    } catch (IOException ignored) {
      // already gone
    }
    if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    process = null;
  }

  /** host:port of the broker's listener. */
  public String bootstrapServers() {
    return bootstrap;
  }

  /** Creates {@code topic} with {@code partitions} partitions (one replica). */
  public void createTopic(String topic, int partitions) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(props)) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
    }
  }

  /** A producer of byte records that waits for every acknowledgement (acks=all). */
  public KafkaProducer<byte[], byte[]> producer() {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("acks", "all");
    props.put("max.request.size", Integer.toString(4 << 20));
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Sends {@code value} to {@code topic}'s partition {@code partition} and waits for the broker to take it. */
  public static void send(KafkaProducer<byte[], byte[]> producer, String topic, int partition, byte[] value)
      throws Exception {
    producer.send(new ProducerRecord<>(topic, partition, null, value)).get(30, TimeUnit.SECONDS);
  }
}
