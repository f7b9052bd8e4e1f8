package io.github.shimmypull.core.edge;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.doubles.LeasingSupervisor;
import io.github.shimmypull.core.doubles.TestServers;
import io.github.shimmypull.testkit.RawUpstream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The edge enforces the API's body limits itself and answers them reliably, and a body that stops
 * arriving is answered 408 instead of holding the connection.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EdgeBodyLimitsTest {

  private final TestServers servers = new TestServers();
  private final OkHttpClient client =
      new OkHttpClient.Builder()
          .readTimeout(Duration.ofSeconds(30))
          .retryOnConnectionFailure(false)
          .build();

  @AfterEach
  void tearDown() throws Exception {
    servers.close();
    client.connectionPool().evictAll();
    client.dispatcher().executorService().shutdown();
  }

  @Test
  void aPullBodyOverItsLimitIsAnswered413EveryTimeWithoutReachingTheApplication() throws Exception {
    MockWebServer app = servers.mock();
    ShimmyEdge edge =
        servers.track(
            ShimmyEdge.builder()
                .supervisor(LeasingSupervisor.none())
                .app(TestServers.base(app))
                .build()
                .start());
    byte[] body = new byte[2 * 1024 * 1024];

    for (int i = 0; i < 20; i++) {
      Request request =
          new Request.Builder()
              .url(edge.url() + "/v1/api/pull")
              .post(RequestBody.create(body, MediaType.get("application/json")))
              .build();
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.code()).as("run %d", i).isEqualTo(413);
        assertThat(response.body().string()).contains("\"code\":\"payload_too_large\"", "65536");
      }
    }
    assertThat(app.getRequestCount()).isZero();
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 40})
  void aProxiedBodyOverTheMaxBodySizeIsAnswered413EveryTime(int mebibytes) throws Exception {
    MockWebServer shimmy = servers.mock();
    MockWebServer app = servers.mock();
    ShimmyEdge edge =
        servers.track(
            ShimmyEdge.builder()
                .supervisor(LeasingSupervisor.live(TestServers.base(shimmy)))
                .app(TestServers.base(app))
                .maxDirectBodyBytes(1024 * 1024)
                .build()
                .start());
    byte[] body = new byte[mebibytes * 1024 * 1024];

    for (int i = 0; i < 8; i++) {
      Request request =
          new Request.Builder()
              .url(edge.url() + "/v1/chat/completions")
              .post(RequestBody.create(body, MediaType.get("application/json")))
              .build();
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.code()).as("run %d", i).isEqualTo(413);
        assertThat(response.body().string()).contains("\"code\":\"payload_too_large\"");
      }
    }
    assertThat(shimmy.getRequestCount()).isZero();
    assertThat(app.getRequestCount()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/v1/api/pull", "/v1/chat/completions"})
  void aBodyShorterThanItsContentLengthIsAnswered408AndTheConnectionClosed(String path)
      throws Exception {
    RawUpstream shimmy =
        servers.raw(
            socket -> {
              RawUpstream.readHead(socket.getInputStream());
              socket.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            });
    MockWebServer app = servers.mock();
    ShimmyEdge edge =
        servers.track(
            ShimmyEdge.builder()
                .supervisor(LeasingSupervisor.live(shimmy.uri()))
                .app(TestServers.base(app))
                .bodyReadTimeout(Duration.ofMillis(500))
                .build()
                .start());

    long started = System.nanoTime();
    String answer;
    try (Socket socket = new Socket("127.0.0.1", edge.port())) {
      socket.setSoTimeout(20_000);
      socket
          .getOutputStream()
          .write(
              ("POST "
                      + path
                      + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      + "Content-Length: 100\r\n\r\n{\"model\":")
                  .getBytes(UTF_8));
      socket.getOutputStream().flush();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      in.transferTo(received); // returns when the edge closes
      answer = received.toString(UTF_8);
    }

    assertThat(answer).startsWith("HTTP/1.1 408").contains("\"code\":\"request_timeout\"");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
  }

  @Test
  void aPullBodyOverACustomMaxRequestBytesIsAnswered413WithoutReachingTheApplication()
      throws Exception {
    MockWebServer app = servers.mock();
    ShimmyEdge edge =
        servers.track(
            ShimmyEdge.builder()
                .supervisor(LeasingSupervisor.none())
                .app(TestServers.base(app))
                .maxRequestBytes(1024)
                .build()
                .start());

    Request request =
        new Request.Builder()
            .url(edge.url() + "/v1/api/pull")
            .post(RequestBody.create(new byte[4096], MediaType.get("application/json")))
            .build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(413);
      assertThat(response.body().string()).contains("\"code\":\"payload_too_large\"", "1024");
    }
    assertThat(app.getRequestCount()).isZero();
  }

  @Test
  void aPullBodyWithinARaisedMaxRequestBytesReachesTheApplication() throws Exception {
    MockWebServer app = servers.mock();
    app.enqueue(new mockwebserver3.MockResponse.Builder().code(202).body("{}").build());
    ShimmyEdge edge =
        servers.track(
            ShimmyEdge.builder()
                .supervisor(LeasingSupervisor.none())
                .app(TestServers.base(app))
                .maxRequestBytes(256 * 1024)
                .build()
                .start());

    Request request =
        new Request.Builder()
            .url(edge.url() + "/v1/api/pull")
            .post(RequestBody.create(new byte[100 * 1024], MediaType.get("application/json")))
            .build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(202);
    }
    assertThat(app.takeRequest().getBodySize()).isEqualTo(100 * 1024);
  }

  @Test
  void aTimeoutAnsweredByTheApplicationWhileTheBodyIsIncompleteClosesTheClientConnectionAtOnce()
      throws Exception {
    byte[] timeout =
        "{\"error\":\"the request body did not arrive in time\",\"code\":\"request_timeout\"}"
            .getBytes(UTF_8);
    RawUpstream app =
        servers.raw(
            socket -> {
              RawUpstream.readHead(socket.getInputStream());
              socket
                  .getOutputStream()
                  .write(
                      ("HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
                              + "Content-Length: "
                              + timeout.length
                              + "\r\n\r\n")
                          .getBytes(UTF_8));
              socket.getOutputStream().write(timeout);
              socket.getOutputStream().flush();
              socket
                  .getInputStream()
                  .transferTo(java.io.OutputStream.nullOutputStream()); // keeps it open, like Jetty
            });
    ShimmyEdge edge =
        servers.track(
            ShimmyEdge.builder()
                .supervisor(LeasingSupervisor.none())
                .app(app.uri())
                .bodyReadTimeout(Duration.ofMinutes(5))
                .build()
                .start());

    long started = System.nanoTime();
    String answer;
    try (Socket socket = new Socket("127.0.0.1", edge.port())) {
      socket.setSoTimeout(60_000);
      socket
          .getOutputStream()
          .write(
              ("POST /v1/api/pull HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      + "Transfer-Encoding: chunked\r\n\r\n20\r\n{\"model\":")
                  .getBytes(UTF_8));
      socket.getOutputStream().flush();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      socket.getInputStream().transferTo(received); // returns when the edge closes
      answer = received.toString(UTF_8);
    }

    assertThat(answer)
        .startsWith("HTTP/1.1 408")
        .containsIgnoringCase("connection: close")
        .contains("\"code\":\"request_timeout\"");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
  }
}
