package io.tfjsrun.flink;

import java.io.Serializable;
import java.util.Objects;

/**
 * One message of a model stream (FLIP-23): model {@code name} should serve {@code version}, whose
 * bundle is either given inline ({@code bundle}) or by reference ({@code url} plus its {@code sha256},
 * fetched by every TaskManager). An optional check goes with it: {@code sampleRows} (row-major
 * feature rows) and the {@code expectedRows} a correct version answers, within {@code tolerance}; a
 * version that answers otherwise never serves.
 *
 * <p>A record that could not be read from the stream is still a ModelUpdate, {@link #malformed()}
 * saying why, so a bad message is reported on the rejected-updates side output instead of failing
 * the job. On the wire it is {@link ModelUpdateSchema}'s binary format.
 */
public final class ModelUpdate implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final String version;
  private final byte[] bundle;  // or null
  private final String url;  // or null
  private final String sha256;  // lower-case hex, or "" (then only an inline bundle is accepted)
  private final float[] sampleRows;  // or null
  private final float[] expectedRows;  // or null
  private final double tolerance;
  private final String malformed;  // or null

  private ModelUpdate(String name, String version, byte[] bundle, String url, String sha256, float[] sampleRows,
      float[] expectedRows, double tolerance, String malformed) {
    this.name = name;
    this.version = version;
    this.bundle = bundle;
    this.url = url;
    this.sha256 = sha256 == null ? "" : sha256.toLowerCase(java.util.Locale.ROOT);
    this.sampleRows = sampleRows;
    this.expectedRows = expectedRows;
    this.tolerance = tolerance;
    this.malformed = malformed;
  }

  /** Model {@code name} serves {@code version}, whose bundle is {@code bundle}. */
  public static ModelUpdate inline(String name, String version, byte[] bundle) {
    return new ModelUpdate(check(name, "name"), check(version, "version"), Objects.requireNonNull(bundle), null, "",
        null, null, 0, null);
  }

  /**
   * Model {@code name} serves {@code version}, the bundle at {@code url} (file:, http: or https:)
   * whose SHA-256 is {@code sha256} (hex). Only the reference goes into Flink's state.
   */
  public static ModelUpdate reference(String name, String version, String url, String sha256) {
    return new ModelUpdate(check(name, "name"), check(version, "version"), null, Objects.requireNonNull(url),
        check(sha256, "sha256"), null, null, 0, null);
  }

  /** This update, and the version must answer {@code expectedRows} to {@code sampleRows} (row-major). */
  public ModelUpdate withCheck(float[] sampleRows, float[] expectedRows, double tolerance) {
    return new ModelUpdate(name, version, bundle, url, sha256, sampleRows, expectedRows, tolerance, malformed);
  }

  /** This update, warmed up on {@code sampleRows} with no expected answers. */
  public ModelUpdate withSample(float[] sampleRows) {
    return withCheck(sampleRows, null, 0);
  }

  /** As read from the wire (ModelUpdateSchema checked it). */
  static ModelUpdate read(String name, String version, byte[] bundle, String url, String sha256) {
    return new ModelUpdate(name, version, bundle, url, sha256, null, null, 0, null);
  }

  /** A stream record that is not a model update; {@code why} says what is wrong with it. */
  static ModelUpdate malformed(String why) {
    return new ModelUpdate("", "", null, null, "", null, null, 0, why);
  }

  /** The same update without its inline bundle, for the state (a reference stays a reference). */
  ModelUpdate withoutBundle() {
    return new ModelUpdate(name, version, null, url, sha256, sampleRows, expectedRows, tolerance, malformed);
  }

  private static String check(String s, String what) {
    if (s == null || s.isEmpty()) throw new IllegalArgumentException("a model update needs a " + what);
    return s;
  }

  public String name() {
    return name;
  }

  public String version() {
    return version;
  }

  public byte[] bundle() {
    return bundle;
  }

  public String url() {
    return url;
  }

  public String sha256() {
    return sha256;
  }

  public float[] sampleRows() {
    return sampleRows;
  }

  public float[] expectedRows() {
    return expectedRows;
  }

  public double tolerance() {
    return tolerance;
  }

  /** Why this record is not a model update, or null when it is one. */
  public String malformed() {
    return malformed;
  }

  /** "model 'wine' version 'v2'", as errors name it. */
  public String label() {
    return "model '" + name + "' version '" + version + "'";
  }

  @Override
  public String toString() {
    if (malformed != null) return "ModelUpdate[malformed: " + malformed + "]";
    return "ModelUpdate[" + name + " " + version + ", " + (url != null ? url + " sha256 " + sha256
        : bundle.length + " bytes") + (sampleRows != null ? ", checked" : "") + "]";
  }
}
