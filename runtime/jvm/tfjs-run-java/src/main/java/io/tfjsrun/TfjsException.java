package io.tfjsrun;

/**
 * The one exception type of tfjs-run. It keeps the kind of failure, the message from JavaScript
 * (or the runtime) and its JS stack, and the bundle name and version it came from.
 *
 * <p>{@link #getMessage()} reads like the C++ runtime's errors: {@code bundle 'wine' version 3:
 * predict error: ...}.
 */
public class TfjsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. The order matches the C++ {@code tfjs_run::ErrorKind}. */
  public enum Kind {
    /** The bundle file could not be read (or a watched source could not be fetched). */
    BUNDLE_READ,
    /** The bundle's script does not compile. */
    BUNDLE_COMPILE,
    /** The bundle's top level or its load() threw or rejected. */
    BUNDLE_LOAD,
    /** load() did not settle before the load timeout. */
    LOAD_TIMEOUT,
    /** The bundle exposes no known contract, or breaks it. */
    CONTRACT,
    /** The backend running is not the one the bundle asked for. */
    BACKEND,
    /** Bad input: the rows do not have the bundle's width, or the array is not rows x width. */
    SHAPE,
    /** The bundle's predict() threw or rejected. */
    PREDICT,
    /** predict() returned something of the wrong type or length. */
    OUTPUT,
    /** trySubmit: the queue is full. */
    OVERLOADED,
    /** The runtime (or this handle to it) is closed. */
    SHUTDOWN,
    /** predict() ran past its deadline (RuntimeOptions#withPredictTimeoutMs) and was terminated. */
    TIMEOUT,
    /**
     * The bundle's JS went over the isolate's memory budget (RuntimeOptions#withMaxHeapMb,
     * #withMaxBufferMb) and was terminated; the worker's isolate is replaced. Also: the native
     * runtime could not allocate for a call.
     */
    MEMORY,
    /** The runtime itself failed (a library's error it did not expect, a bug); the message says where. */
    INTERNAL;

    /**
     * Whether one row of a multi-row call can cause this (its input, the bundle's predict on it,
     * a call it made run too long or too big): a caller that batched records retries them alone,
     * so that only the bad one fails.
     */
    public boolean mayBeOneRowsFault() {
      return this == SHAPE || this == PREDICT || this == OUTPUT || this == TIMEOUT || this == MEMORY;
    }

    /** Whether this is a failure of the bundle's loading (as opposed to one call). */
    public boolean isLoadFailure() {
      return this == BUNDLE_READ || this == BUNDLE_COMPILE || this == BUNDLE_LOAD || this == LOAD_TIMEOUT
          || this == CONTRACT || this == BACKEND;
    }

    /** The C++ runtime's name of the kind, e.g. "predict", "load-timeout". */
    public String label() {
      return name().toLowerCase().replace('_', '-');
    }

    /** The kind whose {@link #label()} is {@code label}; INTERNAL for a label no kind has. */
    public static Kind fromLabel(String label) {
      for (Kind k : values()) if (k.label().equals(label)) return k;
      return INTERNAL;
    }
  }

  private final Kind kind;
  private final String jsMessage;
  private final String jsStack;
  private final String bundleName;
  private final String bundleVersion;

  public TfjsException(Kind kind, String message, String jsStack, String bundleName, String bundleVersion) {
    super(compose(kind, message, bundleName, bundleVersion));
    this.kind = kind;
    this.jsMessage = message == null ? "" : message;
    this.jsStack = jsStack == null ? "" : jsStack;
    this.bundleName = bundleName == null ? "" : bundleName;
    this.bundleVersion = bundleVersion == null ? "" : bundleVersion;
  }

  public TfjsException(Kind kind, String message) {
    this(kind, message, "", "", "");
  }

  /**
   * Made by the native bridge: {@code kind} is the C++ ErrorKind's name (tfjs_run::ErrorKindName,
   * e.g. "load-timeout"), which {@link Kind#label()} spells the same way. A name this class does
   * not know (a newer native library) is INTERNAL, and says so.
   */
  TfjsException(String kind, String message, String jsStack, String bundleName, String bundleVersion) {
    this(Kind.fromLabel(kind), Kind.fromLabel(kind).label().equals(kind) ? message
        : "(native error kind '" + kind + "') " + message, jsStack, bundleName, bundleVersion);
  }

  private static String compose(Kind kind, String message, String name, String version) {
    StringBuilder out = new StringBuilder();
    if (name != null && !name.isEmpty()) {
      out.append("bundle '").append(name).append('\'');
      if (version != null && !version.isEmpty()) out.append(" version ").append(version);
      out.append(": ");
    }
    return out.append(kind.label()).append(" error: ").append(message).toString();
  }

  public Kind kind() {
    return kind;
  }

  /** The message alone (from JS when the error came from JS), without the bundle prefix. */
  public String jsMessage() {
    return jsMessage;
  }

  /** The JavaScript stack trace when the error came from JS; empty otherwise. */
  public String jsStack() {
    return jsStack;
  }

  public String bundleName() {
    return bundleName;
  }

  public String bundleVersion() {
    return bundleVersion;
  }
}
