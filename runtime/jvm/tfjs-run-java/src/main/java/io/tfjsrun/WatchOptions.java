package io.tfjsrun;

import java.io.Serializable;
import java.util.Objects;

/**
 * Where a runtime follows published bundle versions (docs/publishing.md): an http(s) URL, a
 * file:// URL or a directory holding manifest.json. Immutable and serializable.
 */
public final class WatchOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String source;
  private long pollIntervalMs = 5000;
  private long connectTimeoutMs = 2000;
  private long totalTimeoutMs = 30000;
  private long maxBundleBytes = 256L << 20;
  private long maxManifestBytes = 1L << 20;
  private boolean verifyTls = true;
  private String caFile = "";
  private long maxBackoffMs = 60000;

  private WatchOptions(String source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  public static WatchOptions of(String source) {
    return new WatchOptions(source);
  }

  private WatchOptions copy() {
    WatchOptions o = new WatchOptions(source);
    o.pollIntervalMs = pollIntervalMs;
    o.connectTimeoutMs = connectTimeoutMs;
    o.totalTimeoutMs = totalTimeoutMs;
    o.maxBundleBytes = maxBundleBytes;
    o.maxManifestBytes = maxManifestBytes;
    o.verifyTls = verifyTls;
    o.caFile = caFile;
    o.maxBackoffMs = maxBackoffMs;
    return o;
  }

  private static long check(String name, long v, long min, long max) {
    if (v < min || v > max) throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + v);
    return v;
  }

  /** How often the manifest is polled (at least 10 ms). */
  public WatchOptions withPollIntervalMs(long ms) {
    WatchOptions o = copy();
    o.pollIntervalMs = check("pollIntervalMs", ms, 10, 86_400_000);
    return o;
  }

  public WatchOptions withConnectTimeoutMs(long ms) {
    WatchOptions o = copy();
    o.connectTimeoutMs = check("connectTimeoutMs", ms, 1, 600_000);
    return o;
  }

  public WatchOptions withTotalTimeoutMs(long ms) {
    WatchOptions o = copy();
    o.totalTimeoutMs = check("totalTimeoutMs", ms, 1, 3_600_000);
    return o;
  }

  /** The largest bundle a watch downloads; never more than the runtime's limit (V8's longest string, 2^29 - 24). */
  public WatchOptions withMaxBundleBytes(long bytes) {
    WatchOptions o = copy();
    o.maxBundleBytes = check("maxBundleBytes", bytes, 1, 1L << 34);
    return o;
  }

  /** Accept a server certificate signed by this extra CA (e.g. a self-signed test server). */
  public WatchOptions withCaFile(String path) {
    WatchOptions o = copy();
    o.caFile = path == null ? "" : path;
    return o;
  }

  /** Turn TLS verification off (tests only). */
  public WatchOptions withInsecureTls() {
    WatchOptions o = copy();
    o.verifyTls = false;
    return o;
  }

  public WatchOptions withMaxBackoffMs(long ms) {
    WatchOptions o = copy();
    o.maxBackoffMs = check("maxBackoffMs", ms, 10, 86_400_000);
    return o;
  }

  public String source() {
    return source;
  }

  /** Layout read by the native bridge (jni_bridge.cc ToWatchOptions). */
  String[] toNativeStrings() {
    return new String[] {source, caFile};
  }

  long[] toNativeNumbers() {
    return new long[] {pollIntervalMs, connectTimeoutMs, totalTimeoutMs, maxBundleBytes, maxManifestBytes,
        verifyTls ? 1 : 0, maxBackoffMs};
  }

  @Override
  public String toString() {
    return "WatchOptions[" + source + ", poll " + pollIntervalMs + " ms, timeouts " + connectTimeoutMs + "/"
        + totalTimeoutMs + " ms, max " + maxBundleBytes + " bytes, tls " + (verifyTls ? "verified" : "off")
        + (caFile.isEmpty() ? "" : " ca " + caFile) + ", backoff " + maxBackoffMs + " ms]";
  }
}
