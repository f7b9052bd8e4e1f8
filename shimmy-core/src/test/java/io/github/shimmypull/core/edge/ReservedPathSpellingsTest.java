package io.github.shimmypull.core.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.doubles.Fixture;
import io.github.shimmypull.core.doubles.JdkHttpServer;
import io.github.shimmypull.core.doubles.LeasingSupervisor;
import io.github.shimmypull.core.doubles.RecordingProxy;
import io.github.shimmypull.core.doubles.TestServers;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.testkit.RawUpstream;
import java.net.URI;
import java.nio.file.Path;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Another spelling of a reserved path never gets past the admin check, neither through the API
 * alone nor through the edge in front of it: it is ours (401 without the token) or refused (400),
 * and never reaches the proxy or Shimmy.
 */
class ReservedPathSpellingsTest {

  @TempDir Path modelDir;
  private final TestServers servers = new TestServers();
  private final RecordingProxy proxy = new RecordingProxy();
  private Fixture fx;
  private JdkHttpServer app;
  private MockWebServer shimmy;
  private ShimmyEdge edge;

  @BeforeEach
  void setUp() throws Exception {
    fx = new Fixture(modelDir);
    app =
        JdkHttpServer.start(
            ShimmyHttpApi.builder()
                .coordinator(fx.coordinator())
                .proxy(proxy)
                .adminToken("s3cret")
                .build());
    shimmy = servers.mock();
    edge =
        servers.track(
            ShimmyEdge.builder()
                .supervisor(LeasingSupervisor.live(TestServers.base(shimmy)))
                .app(URI.create("http://127.0.0.1:" + app.uri("/").getPort()))
                .build()
                .start());
  }

  @AfterEach
  void tearDown() throws Exception {
    servers.close();
    app.close();
    fx.close();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "//v1/api/pull",
        "/x/../v1/api/pull",
        "/v1/./api/pull",
        "/v1/%61pi/pull",
        "/v1/api;x=1/pull",
        "/v1//api//pull"
      })
  void aPullUnderAnotherSpellingNeedsTheAdminTokenOnTheApi(String path) throws Exception {
    String answer = post(app.uri("/").getPort(), path);

    assertThat(answer).startsWith("HTTP/1.1 401").contains("\"code\":\"unauthorized\"");
    assertThat(proxy.path).isNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "//v1/api/pull",
        "/x/../v1/api/pull",
        "/v1/./api/pull",
        "/v1/%61pi/pull",
        "/v1/api;x=1/pull",
        "/v1//api//pull"
      })
  void aPullUnderAnotherSpellingNeedsTheAdminTokenThroughTheEdge(String path) throws Exception {
    String answer = post(edge.port(), path);

    assertThat(answer).startsWith("HTTP/1.1 401").contains("\"code\":\"unauthorized\"");
    assertThat(proxy.path).isNull();
    assertThat(shimmy.getRequestCount()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/../v1/api/pull", "/v1/api%2Fpull", "/v1/%zz/pull"})
  void aPathNoRouteMayTakeIsRefusedAndNotProxied(String path) throws Exception {
    String answer = post(edge.port(), path);

    assertThat(answer).startsWith("HTTP/1.1 400").contains("\"code\":\"invalid_request\"");
    assertThat(proxy.path).isNull();
    assertThat(shimmy.getRequestCount()).isZero();
  }

  private static String post(int port, String path) throws Exception {
    String body = "{\"model\":\"acme/tiny:Q4_K_M\"}";
    return RawUpstream.exchange(
        port,
        "POST "
            + path
            + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: "
            + body.length()
            + "\r\nConnection: close\r\n\r\n"
            + body);
  }
}
