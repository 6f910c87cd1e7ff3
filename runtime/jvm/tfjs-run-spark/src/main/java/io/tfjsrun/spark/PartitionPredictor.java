package io.tfjsrun.spark;

import io.tfjsrun.BundleInfo;
import io.tfjsrun.ModelSpec;
import io.tfjsrun.Prediction;
import io.tfjsrun.TfjsRuntime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Predicts a partition in batches: each input row comes out, in order, with the model's output
 * appended as one more column. The partition streams: at most {@code inFlight} batches of
 * {@code batchRows} rows are read ahead, so memory stays bounded whatever its size, and the
 * next batches are predicted while Spark consumes this one. A row with a null feature fails the
 * task, or, with {@code nullOutput}, comes out with a null prediction without reaching the model.
 */
final class PartitionPredictor implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final String modelName;  // in errors; null for the bundle's own name
  private final ModelSpec model;
  private final FeatureColumns features;  // bound to the input schema
  private final int batchRows;
  private final int inFlight;
  private final boolean nullOutput;

  PartitionPredictor(String modelName, ModelSpec model, FeatureColumns features, int batchRows, int inFlight,
                     boolean nullOutput) {
    if (batchRows < 1 || inFlight < 1) throw new IllegalArgumentException("tfjs-run: batchRows and inFlight must be >= 1");
    this.modelName = modelName;
    this.model = model;
    this.features = features;
    this.batchRows = batchRows;
    this.inFlight = inFlight;
    this.nullOutput = nullOutput;
  }

  private static final class Batch {
    final List<Row> rows = new ArrayList<>();
    final BitSet skipped = new BitSet();  // rows with a null feature, answered null
    CompletableFuture<Prediction> prediction;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    TfjsRuntime runtime = ExecutorRuntimes.get(model);
    // The bundle's feature names and width are known once it is open, here on the executor.
    BundleInfo info = runtime.info();
    FeatureColumns features = this.features.inModelOrder(info.featureNames());
    String name = modelName != null ? modelName : info.name();
    TaskContext task = TaskContext.get();
    String partition = task == null ? "partition ?" : "partition " + task.partitionId();
    return new Iterator<>() {
      private final ArrayDeque<Batch> batches = new ArrayDeque<>();
      private final ArrayDeque<Row> ready = new ArrayDeque<>();
      private long rowNumber = 0;  // within the partition, 1-based in messages
      private int cols = -1;

      private void fill() {
        while (batches.size() < inFlight && input.hasNext()) {
          Batch batch = new Batch();
          float[] flat = null;
          int n = 0;  // rows for the model
          while (batch.rows.size() < batchRows && input.hasNext()) {
            Row row = input.next();
            rowNumber++;
            if (nullOutput && features.hasNull(row)) {
              batch.skipped.set(batch.rows.size());
              batch.rows.add(row);
              continue;
            }
            String where = partition + ", row " + rowNumber;
            float[] x = features.read(row, where);
            if (cols < 0) {
              FeatureColumns.checkCount(name, info.inputCols(), x.length, where);
              cols = x.length;
            }
            if (x.length != cols) {
              throw new IllegalArgumentException("tfjs-run: " + partition + ", row " + rowNumber + " has " + x.length
                  + " features, the rows before it " + cols);
            }
            if (flat == null) flat = new float[batchRows * cols];
            System.arraycopy(x, 0, flat, n * cols, cols);
            batch.rows.add(row);
            n++;
          }
          batch.prediction = n == 0 ? CompletableFuture.completedFuture(null)
              : runtime.submitVersioned(n == batchRows ? flat : Arrays.copyOf(flat, n * cols), n);
          batches.add(batch);
        }
      }

      @Override
      public boolean hasNext() {
        if (!ready.isEmpty()) return true;
        fill();
        Batch batch = batches.poll();
        if (batch == null) return false;
        Prediction p;
        try {
          p = batch.prediction.join();
        } catch (CompletionException e) {
          throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        int predicted = batch.rows.size() - batch.skipped.cardinality();
        int width = predicted == 0 ? 0 : p.values().length / predicted;
        int k = 0;  // the next predicted row's index in p
        for (int r = 0; r < batch.rows.size(); r++) {
          Row row = batch.rows.get(r);
          Object[] values = new Object[row.length() + 1];
          for (int c = 0; c < row.length(); c++) values[c] = row.get(c);
          if (!batch.skipped.get(r)) {
            values[row.length()] = Arrays.copyOfRange(p.values(), k * width, (k + 1) * width);
            k++;
          }
          ready.add(RowFactory.create(values));
        }
        fill();  // keep the next batches in flight while this one is consumed
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) throw new NoSuchElementException();
        return ready.poll();
      }
    };
  }
}
