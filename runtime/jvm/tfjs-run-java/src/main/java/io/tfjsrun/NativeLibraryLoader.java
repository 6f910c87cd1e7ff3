package io.tfjsrun;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Extracts the native libraries from the jar and loads the JNI bridge, once per class loader.
 *
 * <p>The jar carries, under {@code io/tfjsrun/native/linux-x86_64/}: the bridge
 * ({@code libtfjs_run_jni.so}), the C++ runtime ({@code libtfjs_run_core.so.0}) and V8
 * ({@code libnode.so.108}, Debian 12's libnode108), and XNNPACK with what it needs
 * ({@code libXNNPACK.so.0}, {@code libcpuinfo.so.0}, {@code libpthreadpool.so.0}), so the host
 * needs only glibc, libstdc++ and the common packages the README lists. The runtime finds them
 * beside itself (its RUNPATH is $ORIGIN). The runtime and V8 are extracted once into a
 * directory named by their content, shared by every class loader and every JVM on the host. The
 * bridge is copied under a fresh name per class loader and loaded from there: the JVM refuses to
 * load one path in two class loaders ("already loaded in another classloader"), which is what a
 * Flink job restarted in the same TaskManager would otherwise hit. Every copy of the bridge finds
 * the one runtime library by its soname, so V8 is initialised once per process.
 *
 * <p>System properties: {@code tfjs.run.native.dir} (where to extract; default
 * {@code java.io.tmpdir/tfjs-run-native-USER}), {@code tfjs.run.libnode=system} (use the host's
 * libnode.so.108, e.g. Debian 12's {@code libnode108} package, instead of the jar's copy).
 */
final class NativeLibraryLoader {
  static final String RESOURCE_DIR = "/io/tfjsrun/native/linux-x86_64/";
  static final String BRIDGE = "libtfjs_run_jni.so";
  static final String CORE = "libtfjs_run_core.so.0";
  static final String LIBNODE = "libnode.so.108";
  /** Carried for the runtime's native executor: XNNPACK and its two dependencies. */
  static final String[] XNNPACK = {"libXNNPACK.so.0", "libcpuinfo.so.0", "libpthreadpool.so.0"};

  private static volatile boolean loaded;

  private NativeLibraryLoader() {}

  /**
   * Loads the bridge if this class loader has not yet. Throws UnsupportedOperationException off
   * linux-x86_64, UncheckedIOException if the libraries cannot be extracted, and
   * UnsatisfiedLinkError if they cannot be loaded.
   */
  static void ensureLoaded() {
    if (loaded) return;
    synchronized (NativeLibraryLoader.class) {
      if (loaded) return;
      String os = System.getProperty("os.name", "").toLowerCase();
      String arch = System.getProperty("os.arch", "");
      if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
        throw new UnsupportedOperationException("tfjs-run's jar carries native code for linux-x86_64 only, not "
            + os + "-" + arch);
      }
      try {
        Path dir = extractShared();
        Path bridge = dir.resolve("libtfjs_run_jni-" + UUID.randomUUID() + ".so");
        copyResource(BRIDGE, bridge);
        try {
          System.load(bridge.toString());
        } finally {
          Files.deleteIfExists(bridge);  // mapped now; nothing else may load this copy
        }
        loaded = true;
      } catch (IOException e) {
        throw new UncheckedIOException("tfjs-run: cannot extract its native libraries: " + e.getMessage(), e);
      }
    }
  }


  private static Path extractShared() throws IOException {
    boolean systemLibnode = "system".equals(System.getProperty("tfjs.run.libnode"));
    String base = System.getProperty("tfjs.run.native.dir");
    Path root = base != null ? Paths.get(base)
        : Paths.get(System.getProperty("java.io.tmpdir"), "tfjs-run-native-" + System.getProperty("user.name", "user"));
    Path dir = root.resolve(contentKey(systemLibnode));
    Files.createDirectories(dir);
    // Dependencies first: a directory holding the runtime holds what it needs.
    if (!systemLibnode) extractOnce(LIBNODE, dir);
    for (String lib : XNNPACK) extractOnce(lib, dir);
    extractOnce(CORE, dir);
    return dir;
  }

  // Names the extraction directory by the content of the runtime library (and the size of the
  // carried V8), so a new jar never reuses an old extraction.
  private static String contentKey(boolean systemLibnode) throws IOException {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      try (InputStream in = open(CORE)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
      }
      sha.update((systemLibnode ? "system" : "jar").getBytes());
      return HexFormat.of().formatHex(sha.digest()).substring(0, 20);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // Extracts a resource unless it is already there. Every extraction (other class loaders, other
  // JVMs) writes a temporary file and renames it into place, so a file under its final name is
  // always complete: its existence is the whole check (no second read of a 47 MB resource).
  private static void extractOnce(String name, Path dir) throws IOException {
    Path target = dir.resolve(name);
    if (Files.isRegularFile(target)) return;
    Path tmp = dir.resolve(name + "." + UUID.randomUUID() + ".tmp");
    copyResource(name, tmp);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void copyResource(String name, Path target) throws IOException {
    try (InputStream in = open(name)) {
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static InputStream open(String name) throws IOException {
    InputStream in = NativeLibraryLoader.class.getResourceAsStream(RESOURCE_DIR + name);
    if (in == null) {
      throw new IOException("the jar has no " + RESOURCE_DIR + name + " (build it with tools/build-jvm.sh)");
    }
    return in;
  }
}
