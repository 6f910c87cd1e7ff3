package io.tfjsrun.flink;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * The bytes of a model update's bundle: inline, or fetched from its URL (file:, http:, https:),
 * never more than a limit, and always checked against the update's SHA-256 when it names one.
 * Every failure is an {@link UpdateException} naming the model and version.
 */
final class BundleFetcher {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private BundleFetcher() {}

  static byte[] fetch(ModelUpdate u, long maxBytes) throws UpdateException {
    byte[] bytes = u.bundle() != null ? u.bundle() : read(u, maxBytes);
    if (bytes.length > maxBytes) {
      throw new UpdateException(u, "its bundle is " + bytes.length + " bytes, over the limit of " + maxBytes);
    }
    if (!u.sha256().isEmpty()) {
      String got = sha256(bytes);
      if (!got.equals(u.sha256())) {
        throw new UpdateException(u, "its bundle's SHA-256 is " + got + ", the update says " + u.sha256()
            + (u.url() != null ? " (" + u.url() + ")" : ""));
      }
    }
    return bytes;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);  // every JVM has SHA-256
    }
  }

  private static byte[] read(ModelUpdate u, long maxBytes) throws UpdateException {
    URI uri;
    try {
      uri = URI.create(u.url());
    } catch (IllegalArgumentException e) {
      throw new UpdateException(u, "its URL '" + u.url() + "' is not a URI: " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    try {
      switch (scheme) {
        case "file": {
          Path path = Path.of(uri);
          long size = Files.size(path);
          if (size > maxBytes) throw new UpdateException(u, path + " is " + size + " bytes, over the limit of " + maxBytes);
          return Files.readAllBytes(path);
        }
        case "http":
        case "https": {
          HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT)
              .followRedirects(HttpClient.Redirect.NORMAL).build();
          HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).build(),
              HttpResponse.BodyHandlers.ofInputStream());
          try (InputStream in = response.body()) {
            if (response.statusCode() != 200) {
              throw new UpdateException(u, "GET " + uri + " answered " + response.statusCode());
            }
            // Read one byte past the limit, so an oversized body is refused without being held whole.
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (body.length > maxBytes) throw new UpdateException(u, uri + " is over the limit of " + maxBytes + " bytes");
            return body;
          }
        }
        default:
          throw new UpdateException(u, "its URL '" + u.url() + "' is not file:, http: or https:");
      }
    } catch (IOException e) {
      throw new UpdateException(u, "its bundle could not be read from " + u.url() + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UpdateException(u, "interrupted while reading " + u.url());
    }
  }
}
