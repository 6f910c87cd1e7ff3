package io.tfjsrun.examples.flink.stream;

/** One line of the data topic: "model,cultivar (1-3),13 measurements". */
public final class WineRow {
  public String model;
  public int cultivar;
  public float[] features;

  public WineRow() {}

  public static WineRow parse(String line) {
    String[] f = line.split(",");
    WineRow r = new WineRow();
    r.model = f[0];
    r.cultivar = Integer.parseInt(f[1].trim());
    r.features = new float[f.length - 2];
    for (int i = 2; i < f.length; i++) r.features[i - 2] = Float.parseFloat(f[i]);
    return r;
  }
}
