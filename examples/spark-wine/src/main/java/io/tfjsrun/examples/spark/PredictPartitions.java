package io.tfjsrun.examples.spark;

import io.tfjsrun.FeatureText;
import io.tfjsrun.RuntimeOptions;
import io.tfjsrun.TfjsRuntime;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.api.java.function.MapPartitionsFunction;

/**
 * Predicts a partition of CSV lines in batches: {@code Dataset<String>.mapPartitions(new
 * PredictPartitions(bundle, 0), Encoders.STRING())}. Each output line is the label column (if
 * any) followed by the output row, in input order.
 *
 * <p>One runtime per executor JVM: every task of the executor shares it (a worker per core), and
 * it stays open for the executor's life (closed by a shutdown hook), so partitions after the
 * first pay no load. A partition streams: at most {@code inFlight} batches of {@code batchRows}
 * rows are read ahead, so memory stays bounded whatever the partition's size. Only the bundle
 * path and options are serialized.
 */
public class PredictPartitions implements MapPartitionsFunction<String, String> {
  private static final long serialVersionUID = 1L;
  private static final Map<String, TfjsRuntime> EXECUTOR_RUNTIMES = new ConcurrentHashMap<>();

  private final String bundle;
  private final int labelColumn;
  private final RuntimeOptions options;
  private final int batchRows;
  private final int inFlight;

  /** {@code labelColumn}: the column copied to the output and not fed to the model, or -1. */
  public PredictPartitions(String bundle, int labelColumn) {
    this(bundle, labelColumn, RuntimeOptions.defaults(), 256, 4);
  }

  public PredictPartitions(String bundle, int labelColumn, RuntimeOptions options, int batchRows, int inFlight) {
    this.bundle = bundle;
    this.labelColumn = labelColumn;
    this.options = options;
    this.batchRows = batchRows;
    this.inFlight = inFlight;
  }

  /** The executor's runtime for this bundle and options, opened on first use. */
  static TfjsRuntime executorRuntime(String bundle, RuntimeOptions options) {
    return EXECUTOR_RUNTIMES.computeIfAbsent(bundle + "|" + options, key -> {
      TfjsRuntime runtime = TfjsRuntime.open(Path.of(bundle), options);
      Runtime.getRuntime().addShutdownHook(new Thread(runtime::close, "tfjs-run-close"));
      return runtime;
    });
  }

  @Override
  public Iterator<String> call(Iterator<String> lines) {
    TfjsRuntime runtime = executorRuntime(bundle, options);
    return new Iterator<>() {
      private final ArrayDeque<CompletableFuture<float[]>> batches = new ArrayDeque<>();
      private final ArrayDeque<List<String>> labels = new ArrayDeque<>();
      private final ArrayDeque<String> ready = new ArrayDeque<>();
      private int cols = -1;
      private long lineNumber = 0;  // within this partition, for error messages

      private void fill() {
        while (batches.size() < inFlight && lines.hasNext()) {
          List<float[]> rows = new ArrayList<>();
          List<String> batchLabels = new ArrayList<>();
          while (rows.size() < batchRows && lines.hasNext()) {
            String line = lines.next();
            lineNumber++;
            if (line.isBlank()) continue;
            String[] fields = line.split(",", -1);
            float[] row = new float[labelColumn >= 0 ? fields.length - 1 : fields.length];
            String label = "";
            for (int i = 0, f = 0; i < fields.length; i++) {
              if (i == labelColumn) {
                label = fields[i].trim();
                continue;
              }
              try {
                row[f++] = FeatureText.parse(fields[i]);
              } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("partition line " + lineNumber + ", column " + (i + 1) + ": "
                    + e.getMessage(), e);
              }
            }
            if (cols < 0) cols = row.length;
            if (row.length != cols) {
              throw new IllegalArgumentException("partition line " + lineNumber + " has " + row.length
                  + " features, the lines before it " + cols);
            }
            rows.add(row);
            batchLabels.add(label);
          }
          if (rows.isEmpty()) break;
          float[] flat = new float[rows.size() * cols];
          for (int r = 0; r < rows.size(); r++) System.arraycopy(rows.get(r), 0, flat, r * cols, cols);
          batches.add(runtime.submit(flat, rows.size()));
          labels.add(batchLabels);
        }
      }

      @Override
      public boolean hasNext() {
        if (!ready.isEmpty()) return true;
        fill();
        if (batches.isEmpty()) return false;
        float[] out = batches.poll().join();
        List<String> batchLabels = labels.poll();
        int width = out.length / batchLabels.size();
        for (int r = 0; r < batchLabels.size(); r++) {
          StringBuilder line = new StringBuilder();
          if (labelColumn >= 0) line.append(batchLabels.get(r)).append(',');
          for (int c = 0; c < width; c++) {
            if (c > 0) line.append(',');
            line.append(out[r * width + c]);
          }
          ready.add(line.toString());
        }
        fill();  // keep the next batches in flight while this one is consumed
        return true;
      }

      @Override
      public String next() {
        if (!hasNext()) throw new NoSuchElementException();
        return ready.poll();
      }
    };
  }
}
