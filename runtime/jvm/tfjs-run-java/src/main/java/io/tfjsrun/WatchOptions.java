package io.tfjsrun;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * Where a runtime follows published bundle versions (docs/publishing.md): an http(s) URL, a
 * file:// URL or a directory holding manifest.json. Immutable and serializable. As with
 * {@link RuntimeOptions}, an option not set takes the C++ default (runtime.h WatchOptions), and
 * the native runtime checks each one set against its range when it is used.
 */
public final class WatchOptions implements Serializable, Cloneable {
  private static final long serialVersionUID = 2L;

  // Null (but source): not set, the C++ default. Read by name by the native bridge
  // (runtime/jvm/native/java_options.cc): rename one there too.
  private String source;
  private Long pollIntervalMs;
  private Long connectTimeoutMs;
  private Long totalTimeoutMs;
  private Long maxBundleBytes;
  private Boolean verifyTls;
  private String caFile;
  private Long maxBackoffMs;

  private WatchOptions() {}

  public static WatchOptions of(String source) {
    WatchOptions o = new WatchOptions();
    o.source = Objects.requireNonNull(source, "source");
    return o;
  }

  /**
   * These options with every unset one at the native runtime's default, checked against their
   * ranges (IllegalArgumentException naming the field). Loads the native library.
   */
  public WatchOptions resolved() {
    NativeLibraryLoader.ensureLoaded();
    return NativeRuntime.resolveWatchOptions(this);
  }

  private WatchOptions copy() {
    try {
      return (WatchOptions) clone();
    } catch (CloneNotSupportedException e) {
      throw new AssertionError(e);
    }
  }

  /** How often the manifest is polled (at least 10 ms). */
  public WatchOptions withPollIntervalMs(long ms) {
    WatchOptions o = copy();
    o.pollIntervalMs = ms;
    return o;
  }

  public WatchOptions withConnectTimeoutMs(long ms) {
    WatchOptions o = copy();
    o.connectTimeoutMs = ms;
    return o;
  }

  public WatchOptions withTotalTimeoutMs(long ms) {
    WatchOptions o = copy();
    o.totalTimeoutMs = ms;
    return o;
  }

  /** The largest bundle a watch downloads; never more than the runtime's limit (V8's longest string, 2^29 - 24). */
  public WatchOptions withMaxBundleBytes(long bytes) {
    WatchOptions o = copy();
    o.maxBundleBytes = bytes;
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
    o.maxBackoffMs = ms;
    return o;
  }

  public String source() {
    return source;
  }

  /** The options set, by field name, in declaration order. */
  private Map<String, Object> set() {
    Map<String, Object> m = new LinkedHashMap<>();
    Object[] fields = {"source", source, "pollIntervalMs", pollIntervalMs, "connectTimeoutMs", connectTimeoutMs,
        "totalTimeoutMs", totalTimeoutMs, "maxBundleBytes", maxBundleBytes, "verifyTls", verifyTls, "caFile", caFile,
        "maxBackoffMs", maxBackoffMs};
    for (int i = 0; i < fields.length; i += 2) {
      if (fields[i + 1] != null) m.put((String) fields[i], fields[i + 1]);
    }
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WatchOptions w && w.set().equals(set());
  }

  @Override
  public int hashCode() {
    return set().hashCode();
  }

  /** The options set, e.g. {@code WatchOptions[source=https://models/wine, pollIntervalMs=1000]}. */
  @Override
  public String toString() {
    StringJoiner out = new StringJoiner(", ", "WatchOptions[", "]");
    set().forEach((name, value) -> out.add(name + "=" + value));
    return out.toString();
  }
}
