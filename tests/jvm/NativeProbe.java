import io.tfjsrun.BundleInfo;
import io.tfjsrun.TfjsRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Run by tests/jvm_native_deps_test.sh with the host's XNNPACK, cpuinfo and pthreadpool hidden:
 * opens a bundle from tfjs-run's jar alone, predicts the rows of a CSV file, and prints where the
 * model ran and one output row per input row.
 */
public class NativeProbe {
  public static void main(String[] args) throws Exception {
    List<String> lines = Files.readAllLines(Path.of(args[1]));
    try (TfjsRuntime runtime = TfjsRuntime.open(Path.of(args[0]))) {
      BundleInfo info = runtime.info();
      System.out.println("model-exec " + info.modelExec());
      int cols = (int) info.inputCols();
      float[] rows = new float[lines.size() * cols];
      for (int r = 0; r < lines.size(); r++) {
        String[] fields = lines.get(r).split(",");
        for (int c = 0; c < cols; c++) rows[r * cols + c] = Float.parseFloat(fields[c]);
      }
      float[] out = runtime.predict(rows, lines.size());
      int outCols = out.length / lines.size();
      for (int r = 0; r < lines.size(); r++) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < outCols; c++) line.append(c > 0 ? "," : "").append(out[r * outCols + c]);
        System.out.println(line);
      }
    }
  }
}
