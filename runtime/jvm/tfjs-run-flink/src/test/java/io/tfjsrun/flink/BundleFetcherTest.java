package io.tfjsrun.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.tfjsrun.Fixtures;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A model update's bundle fetched over http from a server in the test: served, or rejected naming model and version. */
class BundleFetcherTest {
  static HttpServer server;
  static byte[] bundle;

  @BeforeAll
  static void serveTheWineBundle() throws Exception {
    bundle = Files.readAllBytes(Fixtures.bundle("wine-layers-cpu"));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      boolean found = exchange.getRequestURI().getPath().equals("/wine.bundle.js");
      exchange.sendResponseHeaders(found ? 200 : 404, found ? bundle.length : -1);
      if (found) exchange.getResponseBody().write(bundle);
      exchange.close();
    });
    server.start();
  }

  @AfterAll
  static void stop() {
    server.stop(0);
  }

  static String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  @Test
  void aBundleByHttpWithItsSha256IsFetched() throws Exception {
    ModelUpdate u = ModelUpdate.reference("wine", "v1", url("/wine.bundle.js"), BundleFetcher.sha256(bundle));
    assertArrayEquals(bundle, BundleFetcher.fetch(u, 1 << 20));
  }

  @Test
  void aWrongSha256IsRejectedNamingModelAndVersion() {
    ModelUpdate u = ModelUpdate.reference("wine", "v2", url("/wine.bundle.js"), "0".repeat(64));
    UpdateException e = assertThrows(UpdateException.class, () -> BundleFetcher.fetch(u, 1 << 20));
    assertEquals("wine", e.rejected().model);
    assertEquals("v2", e.rejected().version);
    assertTrue(e.getMessage().startsWith("model 'wine' version 'v2' will not serve: its bundle's SHA-256 is "
        + BundleFetcher.sha256(bundle)), e.getMessage());
  }

  @Test
  void aMissingBundleIsRejectedNamingModelAndVersion() {
    ModelUpdate u = ModelUpdate.reference("wine", "v3", url("/gone.bundle.js"), BundleFetcher.sha256(bundle));
    UpdateException e = assertThrows(UpdateException.class, () -> BundleFetcher.fetch(u, 1 << 20));
    assertEquals("model 'wine' version 'v3' will not serve: GET " + url("/gone.bundle.js") + " answered 404",
        e.getMessage());
  }

  @Test
  void aBundleOverTheLimitIsRejected() {
    ModelUpdate u = ModelUpdate.reference("wine", "v4", url("/wine.bundle.js"), BundleFetcher.sha256(bundle));
    UpdateException e = assertThrows(UpdateException.class, () -> BundleFetcher.fetch(u, 1000));
    assertTrue(e.getMessage().startsWith("model 'wine' version 'v4' will not serve: ") && e.getMessage()
        .contains("over the limit of 1000 bytes"), e.getMessage());
  }
}
