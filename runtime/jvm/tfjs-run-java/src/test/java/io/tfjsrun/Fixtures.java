package io.tfjsrun;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The test inputs: tests/build-fixtures.sh's bundles and tfjs-in-Node references, and the CLI. */
public final class Fixtures {
  private Fixtures() {}

  public static Path dir() {
    return Paths.get(System.getProperty("tfjs.fixtures", "../../../build/tests/fixtures"));
  }

  public static Path source() {
    return Paths.get(System.getProperty("tfjs.source.dir", "../../.."));
  }

  public static Path bundle(String name) {
    return dir().resolve(name + ".bundle.js");
  }

  public static Path sourceFile(String relative) {
    return source().resolve(relative);
  }

  /** A CSV file's rows (numbers only, no header). */
  public static float[][] readCsv(Path file) throws IOException {
    List<float[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      String[] fields = line.split(",");
      float[] row = new float[fields.length];
      for (int i = 0; i < fields.length; i++) row[i] = Float.parseFloat(fields[i].trim());
      rows.add(row);
    }
    return rows.toArray(new float[0][]);
  }

  public static float[][] wineRows() throws IOException {
    return readCsv(dir().resolve("wine.csv"));
  }

  public static float[] flatten(float[][] rows) {
    return DenseMatrix.of(rows).values();
  }

  /** What the CLI answers for {@code input} with {@code bundle} (one output row per input row). */
  public static float[][] cliPredict(Path bundle, Path input, String... extra) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(System.getProperty("tfjs.cli"), bundle.toString(), "--threads", "1"));
    command.addAll(List.of(extra));
    Path out = Files.createTempFile("tfjs-cli", ".csv");
    try {
      Process p = new ProcessBuilder(command).redirectInput(input.toFile()).redirectOutput(out.toFile())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("tfjs-run CLI timed out");
      }
      assertEquals(0, p.exitValue(), "tfjs-run CLI exit status for " + bundle);
      return readCsv(out);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** tests/fixtures/versioned.js.in with its placeholders filled: answers [sum*1000 + number, number]. */
  public static byte[] versionedBundle(int number, String mode) throws IOException {
    String text = Files.readString(sourceFile("tests/fixtures/versioned.js.in"));
    text = text.replace("__VERSION__", "v" + number).replace("__NUMBER__", String.valueOf(number))
        .replace("__MODE__", mode).replace("__BALLAST__", "1024");
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Publishes the versioned bundle number {@code number} (answers [sum * 1000 + number, number])
   * into the layout {@code published} with tools/publish-bundle.sh, as version "v" + number.
   */
  public static void publishVersioned(Path dir, int number, Path published) throws Exception {
    Path bundle = writeTemp(dir, "v" + number + ".bundle.js", versionedBundle(number, "ok"));
    Process p = new ProcessBuilder("bash", sourceFile("tools/publish-bundle.sh").toString(), bundle.toString(),
        published.toString(), "v" + number).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor());
  }

  public static Path writeTemp(Path dir, String name, byte[] content) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return p;
  }
}
