package io.tfjsrun.examples.flink.stream;

/** A row's answer: its model, the version that answered, and whether it named the right cultivar. */
public final class Answer {
  public String model;
  public String version;
  public boolean correct;

  public Answer() {}

  static Answer of(WineRow row, float[] output, String version) {
    int best = 0;
    for (int i = 1; i < output.length; i++) if (output[i] > output[best]) best = i;
    Answer a = new Answer();
    a.model = row.model;
    a.version = version;
    a.correct = best + 1 == row.cultivar;  // class i is cultivar i + 1
    return a;
  }
}
