package io.tfjsrun.kafka;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * One KRaft node (broker and controller in one), on free ports, for tests. Run as a child
 * process: it prints {@code bootstrap=host:port} once the broker is ready, serves until its
 * standard input closes (the parent ended or said stop), then shuts down and deletes its logs.
 * A child process, not in-process, so the broker's Kafka 4.x jars never meet the Flink
 * connector's kafka-clients.
 */
public final class TestBroker {
  private TestBroker() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("tfjs-kafka-");
    TestKitNodes nodes = new TestKitNodes.Builder()
        .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).setBaseDirectory(dir).build();
    try (KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes)
        // One node: every internal topic has one replica, and consumers join a group at once.
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setDeleteOnClose(true)
        .build()) {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      System.out.println("bootstrap=" + cluster.bootstrapServers());
      System.out.flush();
      InputStream in = System.in;
      while (in.read() >= 0) {
        // Anything the parent writes is ignored; end of input is the signal to stop.
      }
    }
    System.exit(0);
  }
}
