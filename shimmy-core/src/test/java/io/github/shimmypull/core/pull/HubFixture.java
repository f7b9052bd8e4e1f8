package io.github.shimmypull.core.pull;

import io.github.shimmypull.testkit.FakeHuggingFace;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import mockwebserver3.MockWebServer;

/** A fake Hub on 127.0.0.1 (its CDN answers as localhost) and a puller with test-sized timings. */
final class HubFixture implements AutoCloseable {

  final MockWebServer server = new MockWebServer();
  final FakeHuggingFace hub;
  final Path modelDir;

  HubFixture(FakeHuggingFace hub, Path modelDir) throws IOException {
    this.hub = hub;
    this.modelDir = modelDir;
    server.setDispatcher(hub);
    server.start(InetAddress.getByName("127.0.0.1"), 0);
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getPort();
  }

  HuggingFacePuller.Builder puller() {
    return HuggingFacePuller.builder()
        .modelDir(modelDir)
        .endpoint(endpoint())
        .initialBackoff(Duration.ofMillis(1))
        .maxBackoff(Duration.ofMillis(20))
        .stallTimeout(Duration.ofSeconds(10))
        .diskReserveBytes(0)
        .progressInterval(Duration.ofMillis(1));
  }

  static String sha256(Path file) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  @Override
  public void close() {
    hub.close();
    server.close();
  }
}
