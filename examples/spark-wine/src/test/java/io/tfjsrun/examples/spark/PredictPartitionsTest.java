package io.tfjsrun.examples.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tfjsrun.Fixtures;
import io.tfjsrun.RuntimeOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * What Spark does with the function: serializes it to the executor, and runs its tasks (one
 * per partition) on the executor's task threads. Every line's answer equals tfjs in Node's
 * (tests/build-fixtures.sh) within 1e-5, in input order, with the label kept.
 */
class PredictPartitionsTest {

  @SuppressWarnings("unchecked")
  private static <T> T shipped(T function) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(function);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  @Test
  void aMalformedLineNamesItsPlaceInThePartition() {
    PredictPartitions function = new PredictPartitions(Fixtures.bundle("wine-layers-wasm").toString(), 0,
        RuntimeOptions.defaults().withThreads(2), 16, 2);
    Iterator<String> out = function.call(List.of("1,2,3", "1,2,oops").iterator());
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, out::hasNext);
    assertEquals("partition line 2, column 3: 'oops' is not a number", e.getMessage());
  }

  @Test
  void fourPartitionsOnFourTaskThreadsShareTheExecutorsRuntime() throws Exception {
    List<String> lines = Files.readAllLines(Fixtures.sourceFile("examples/wine/data/wine.data"));
    float[][] node = Fixtures.readCsv(Fixtures.dir().resolve("ref-wine-layers-wasm.csv"));
    // Small batches so one partition spans several, with two in flight.
    PredictPartitions function = new PredictPartitions(Fixtures.bundle("wine-layers-wasm").toString(), 0,
        RuntimeOptions.defaults().withThreads(2), 16, 2);
    int partitions = 4;
    ExecutorService tasks = Executors.newFixedThreadPool(partitions);
    List<Future<List<String>>> results = new ArrayList<>();
    int per = (lines.size() + partitions - 1) / partitions;
    for (int p = 0; p < partitions; p++) {
      List<String> partition = lines.subList(p * per, Math.min(lines.size(), (p + 1) * per));
      results.add(tasks.submit(() -> {
        List<String> out = new ArrayList<>();
        Iterator<String> it = shipped(function).call(partition.iterator());
        it.forEachRemaining(out::add);
        return out;
      }));
    }
    List<String> all = new ArrayList<>();
    for (Future<List<String>> f : results) all.addAll(f.get());
    tasks.shutdown();
    assertEquals(178, all.size());
    for (int i = 0; i < all.size(); i++) {
      String[] fields = all.get(i).split(",");
      assertEquals(lines.get(i).split(",")[0], fields[0], "label of row " + i);
      for (int c = 0; c < 3; c++) assertEquals(node[i][c], Float.parseFloat(fields[c + 1]), 1e-5f, "row " + i);
    }
    // One runtime for the executor, whatever the number of tasks.
    assertEquals(1, PredictPartitions.executorRuntime(Fixtures.bundle("wine-layers-wasm").toString(),
        RuntimeOptions.defaults().withThreads(2)).sharedBy());
  }
}
