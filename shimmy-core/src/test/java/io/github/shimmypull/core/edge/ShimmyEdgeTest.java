package io.github.shimmypull.core.edge;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.doubles.LeasingSupervisor;
import io.github.shimmypull.core.doubles.TestServers;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.RawUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ShimmyEdge against real sockets: a MockWebServer or a scripted TCP server stands for Shimmy,
 * another MockWebServer for the application behind the edge, and every request crosses real
 * connections.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShimmyEdgeTest {

  private static final Duration EVENTUALLY = Duration.ofSeconds(20);

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

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/",
        "/v1/health",
        "/v1/generate",
        "/v1/api",
        "/v1/api/pull",
        "/v1/api/models/some-model",
        "/v1/%61pi/pull",
        "/v1//api/pull",
        "/v1/./api/pull"
      })
  void handsTheApplicationsOwnPathsToTheApplication(String path) throws Exception {
    MockWebServer shimmy = mockServer();
    MockWebServer app = mockServer();
    app.enqueue(new MockResponse.Builder().code(200).body("from the app").build());
    LeasingSupervisor supervisor = LeasingSupervisor.live(base(shimmy));
    ShimmyEdge edge = edge(supervisor, app);

    assertThat(rawGet(edge, path)).startsWith("HTTP/1.1 200").endsWith("from the app");

    assertThat(app.takeRequest().getTarget()).isEqualTo(path);
    assertThat(shimmy.getRequestCount()).isZero();
    assertThat(supervisor.acquisitions()).isZero();
  }

  @Test
  void ignoresAnH2cUpgradeOfferAndForwardsTheRequestStraightToShimmy() throws Exception {
    MockWebServer shimmy = mockServer();
    shimmy.enqueue(new MockResponse.Builder().body("from shimmy").build());
    MockWebServer app = mockServer();
    ShimmyEdge edge = edge(LeasingSupervisor.live(base(shimmy)), app);

    String response =
        rawGet(
            edge,
            "/api/models",
            "Connection: Upgrade, HTTP2-Settings",
            "Upgrade: h2c",
            "HTTP2-Settings: AAEAAEAAAAIAAAAAAAMAAAPoAAQAAQAAAAUAAEAAAAYAAAQA");

    assertThat(response).startsWith("HTTP/1.1 200").endsWith("from shimmy");
    RecordedRequest recorded = shimmy.takeRequest();
    assertThat(recorded.getHeaders().get("Upgrade")).isNull();
    assertThat(recorded.getHeaders().get("HTTP2-Settings")).isNull();
    assertThat(app.getRequestCount()).isZero();
  }

  @Test
  void handsAWebSocketUpgradeToTheApplicationWhileNoInstanceIsLive() throws Exception {
    MockWebServer app = mockServer();
    app.enqueue(new MockResponse.Builder().code(503).body("no instance").build());
    ShimmyEdge edge = edge(LeasingSupervisor.none(), app);

    String response =
        rawGet(
            edge,
            "/ws/generate",
            "Connection: Upgrade",
            "Upgrade: websocket",
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");

    assertThat(response).startsWith("HTTP/1.1 503").endsWith("no instance");
    assertThat(app.takeRequest().getHeaders().get("Upgrade")).isNull();
  }

  @Test
  void tunnelsAWebSocketToShimmyAndHoldsTheLeaseUntilTheClientCloses() throws Exception {
    CountDownLatch upstreamSawTheEnd = new CountDownLatch(1);
    List<String> heads = new CopyOnWriteArrayList<>();
    RawUpstream shimmy =
        raw(
            socket -> {
              InputStream in = socket.getInputStream();
              OutputStream out = socket.getOutputStream();
              heads.add(RawUpstream.readHead(in));
              out.write(
                  ("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
                          + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
                      .getBytes(UTF_8));
              out.flush();
              byte[] frame = new byte[5];
              while (in.readNBytes(frame, 0, 5) == 5) { // echoes every 5 bytes in upper case
                out.write(
                    new String(frame, UTF_8).toUpperCase(java.util.Locale.ROOT).getBytes(UTF_8));
                out.flush();
              }
              upstreamSawTheEnd.countDown();
            });
    LeasingSupervisor supervisor = LeasingSupervisor.live(shimmy.uri());
    ShimmyEdge edge = edge(supervisor, mockServer());

    try (Socket socket = new Socket("127.0.0.1", edge.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET /ws/generate HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                  + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
              .getBytes(UTF_8));
      String head = RawUpstream.readHead(socket.getInputStream());
      assertThat(head)
          .startsWith("HTTP/1.1 101")
          .containsIgnoringCase("upgrade: websocket")
          .contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
      for (String word : List.of("hello", "again")) {
        out.write(word.getBytes(UTF_8));
        assertThat(new String(socket.getInputStream().readNBytes(5), UTF_8))
            .isEqualTo(word.toUpperCase(java.util.Locale.ROOT));
      }
      assertThat(supervisor.openLeases()).as("held while the tunnel is open").isEqualTo(1);
    }

    Await.until(EVENTUALLY, "every lease released", () -> supervisor.openLeases() == 0);
    Await.until(EVENTUALLY, "Shimmy's side closed too", upstreamSawTheEnd);
    assertThat(heads.get(0))
        .containsIgnoringCase("upgrade: websocket")
        .containsIgnoringCase("connection: upgrade")
        .contains("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
  }

  @Test
  void closesTheClientsTunnelWhenShimmyEndsIt() throws Exception {
    RawUpstream shimmy =
        answersOnce(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
                + "Upgrade: websocket\r\n\r\n{\"done\":true}");
    LeasingSupervisor supervisor = LeasingSupervisor.live(shimmy.uri());
    ShimmyEdge edge = edge(supervisor, mockServer());

    String exchanged =
        RawUpstream.exchange(
            edge.port(),
            "GET /ws/generate HTTP/1.1\r\nHost: x\r\n"
                + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");

    assertThat(exchanged).startsWith("HTTP/1.1 101").endsWith("\r\n\r\n{\"done\":true}");
    Await.until(EVENTUALLY, "every lease released", () -> supervisor.openLeases() == 0);
  }

  @Test
  void handsRequestsToTheApplicationWhileNoInstanceIsLive() throws Exception {
    MockWebServer app = mockServer();
    app.enqueue(
        new MockResponse.Builder()
            .code(503)
            .addHeader("Retry-After", "2")
            .body("{\"code\":\"backend_unavailable\"}")
            .build());
    ShimmyEdge edge = edge(LeasingSupervisor.none(), app);

    try (Response response = get(edge, "/api/models")) {
      assertThat(response.code()).isEqualTo(503);
      assertThat(response.header("Retry-After")).isEqualTo("2");
      assertThat(response.body().string()).contains("backend_unavailable");
    }
    RecordedRequest recorded = app.takeRequest();
    assertThat(recorded.getTarget()).isEqualTo("/api/models");
    assertThat(recorded.getHeaders().get("Host")).isEqualTo(URI.create(edge.url()).getAuthority());
    assertThat(recorded.getHeaders().get("X-Forwarded-For")).isEqualTo("127.0.0.1");
  }

  @Test
  void handsChunkedAndOversizedBodiesToTheApplicationWhichEnforcesTheLimit() throws Exception {
    MockWebServer shimmy = mockServer();
    MockWebServer app = mockServer();
    app.enqueue(new MockResponse.Builder().code(200).body("chunked ok").build());
    app.enqueue(
        new MockResponse.Builder().code(413).body("{\"code\":\"payload_too_large\"}").build());
    LeasingSupervisor supervisor = LeasingSupervisor.live(base(shimmy));
    ShimmyEdge edge =
        track(
            ShimmyEdge.builder()
                .supervisor(supervisor)
                .app(base(app))
                .maxDirectBodyBytes(16)
                .build()
                .start());

    RequestBody chunked =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return MediaType.get("text/plain");
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            sink.writeUtf8("streamed body");
          }
        };
    try (Response response =
        client
            .newCall(
                new Request.Builder().url(edge.url() + "/v1/completions").post(chunked).build())
            .execute()) {
      assertThat(response.body().string()).isEqualTo("chunked ok");
    }
    RecordedRequest first = app.takeRequest();
    assertThat(first.getBody().utf8()).isEqualTo("streamed body");
    assertThat(first.getHeaders().get("Transfer-Encoding")).isEqualTo("chunked");

    try (Response response =
        client
            .newCall(
                new Request.Builder()
                    .url(edge.url() + "/v1/completions")
                    .post(RequestBody.create("x".repeat(17), MediaType.get("text/plain")))
                    .build())
            .execute()) {
      assertThat(response.code()).isEqualTo(413);
    }
    assertThat(app.getRequestCount())
        .as("the edge answers a declared body over the limit itself")
        .isEqualTo(1);
    assertThat(shimmy.getRequestCount()).isZero();
  }

  @Test
  void handsTheRequestToTheApplicationWhenShimmyRefusesTheConnection() throws Exception {
    MockWebServer app = mockServer();
    app.enqueue(new MockResponse.Builder().code(200).body("answered by the app").build());
    LeasingSupervisor supervisor = LeasingSupervisor.live(RawUpstream.deadUrl());
    ShimmyEdge edge = edge(supervisor, app);

    try (Response response =
        client
            .newCall(
                new Request.Builder()
                    .url(edge.url() + "/v1/completions")
                    .post(
                        RequestBody.create(
                            "{\"prompt\":\"hi\"}", MediaType.get("application/json")))
                    .build())
            .execute()) {
      assertThat(response.body().string()).isEqualTo("answered by the app");
    }
    RecordedRequest recorded = app.takeRequest();
    assertThat(recorded.getBody().utf8()).isEqualTo("{\"prompt\":\"hi\"}");
    assertThat(recorded.getHeaders().get("Host")).isEqualTo(URI.create(edge.url()).getAuthority());
    assertThat(recorded.getHeaders().get("X-Forwarded-Proto")).isNull();
    Await.until(EVENTUALLY, "every lease released", () -> supervisor.openLeases() == 0);
  }

  @Test
  void replaysASmallBodyToTheApplicationWhenAKeptAliveShimmyConnectionDiesBeforeAnswering()
      throws Exception {
    replaysToTheApplication(
        "{\"prompt\":\"again\"}", "{\"model\":\"m\",\"prompt\":\"again\",\"stream\":false}");
  }

  @Test
  void replaysABodySentAsItArrivedFromItsFirstByte() throws Exception {
    // Not rewritten: the client's own (direct) buffer went to Shimmy and was consumed by the write.
    String body = "{\"model\":\"m\",\"prompt\":\"again\",\"stream\":false}";
    replaysToTheApplication(body, body);
  }

  private void replaysToTheApplication(String body, String expected) throws Exception {
    RawUpstream shimmy =
        raw(
            socket -> {
              InputStream in = socket.getInputStream();
              RawUpstream.readHead(in);
              socket
                  .getOutputStream()
                  .write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst".getBytes(UTF_8));
              socket.getOutputStream().flush();
              RawUpstream.readHead(
                  in); // the second request on the kept-alive connection: no answer
              socket.setSoLinger(true, 0);
            });
    MockWebServer app = mockServer();
    app.enqueue(new MockResponse.Builder().code(200).body("healthy").build());
    app.enqueue(new MockResponse.Builder().code(200).body("second, from the app").build());
    LeasingSupervisor supervisor = LeasingSupervisor.live(shimmy.uri()).serving("m");
    ShimmyEdge edge = edge(supervisor, app);

    try (Response response = get(edge, "/v1/health")) {
      assertThat(response.body().string())
          .as("leaves a kept-alive app connection")
          .isEqualTo("healthy");
    }
    try (Response response = get(edge, "/api/models")) {
      assertThat(response.body().string()).isEqualTo("first");
    }
    try (Response response =
        client
            .newCall(
                new Request.Builder()
                    .url(edge.url() + "/v1/completions")
                    .post(RequestBody.create(body, MediaType.get("application/json")))
                    .build())
            .execute()) {
      assertThat(response.body().string()).isEqualTo("second, from the app");
    }
    assertThat(app.takeRequest().getTarget()).isEqualTo("/v1/health");
    assertThat(app.takeRequest().getBody().utf8()).isEqualTo(expected);
    Await.until(EVENTUALLY, "every lease released", () -> supervisor.openLeases() == 0);
  }

  @Test
  void sendsASmallBodyForTheApplicationInOneGoSoItsEarlyAnswerArrivesIntact() throws Exception {
    AtomicInteger availableWithTheHead = new AtomicInteger(-1);
    RawUpstream app =
        raw(
            socket -> {
              InputStream in = socket.getInputStream();
              String head = RawUpstream.readHead(in);
              if (head.startsWith("GET ")) { // warms the edge up, so its first read is not late
                socket
                    .getOutputStream()
                    .write("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".getBytes(UTF_8));
                return;
              }
              sleep(100);
              availableWithTheHead.set(in.available());
              in.readNBytes(
                  in.available()); // read what has arrived, answer early, close: like Jetty's 413
              String answer = "{\"code\":\"payload_too_large\"}";
              socket
                  .getOutputStream()
                  .write(
                      ("HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                              + "Content-Length: "
                              + answer.length()
                              + "\r\nConnection: close\r\n\r\n"
                              + answer)
                          .getBytes(UTF_8));
              socket.getOutputStream().flush();
            });
    ShimmyEdge edge = edgeBefore(app);
    RequestBody slowBody =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return MediaType.get("application/json");
          }

          @Override
          public long contentLength() {
            return 2 * 40_000;
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            sink.writeUtf8("x".repeat(40_000)).flush();
            sleep(500);
            sink.writeUtf8("y".repeat(40_000)).flush();
          }
        };

    try (Response warmUp = get(edge, "/v1/health")) {
      assertThat(warmUp.code()).isEqualTo(204);
    }
    try (Response response =
        client
            .newCall(new Request.Builder().url(edge.url() + "/v1/generate").post(slowBody).build())
            .execute()) {
      assertThat(response.code()).isEqualTo(413);
      assertThat(response.body().string()).contains("payload_too_large");
    }
    assertThat(availableWithTheHead.get())
        .as("the whole body arrived with its head")
        .isEqualTo(80_000);
  }

  @Test
  void retriesOnAFreshConnectionWhenAKeptAliveApplicationConnectionDiesBeforeAnswering()
      throws Exception {
    AtomicInteger connections = new AtomicInteger();
    RawUpstream app =
        raw(
            socket -> {
              InputStream in = socket.getInputStream();
              OutputStream out = socket.getOutputStream();
              boolean first = connections.incrementAndGet() == 1;
              for (int served = 0; ; served++) {
                RawUpstream.readHead(in);
                if (first && served == 1) {
                  socket.setSoLinger(true, 0);
                  return; // closed just as the edge reused it, like an idle timeout racing a
                  // request
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nhealthy".getBytes(UTF_8));
                out.flush();
              }
            });
    ShimmyEdge edge = edgeBefore(app);

    for (int i = 0; i < 2; i++) {
      try (Response response = get(edge, "/v1/health")) {
        assertThat(response.code()).isEqualTo(200);
        assertThat(response.body().string()).isEqualTo("healthy");
      }
    }
    assertThat(connections.get()).isEqualTo(2);
  }

  @Test
  void answersPipelinedRequestsInOrderOnOneConnection() throws Exception {
    MockWebServer shimmy = mockServer();
    shimmy.enqueue(
        new MockResponse.Builder().body("first").headersDelay(200, TimeUnit.MILLISECONDS).build());
    shimmy.enqueue(new MockResponse.Builder().body("second").build());
    ShimmyEdge edge = edge(LeasingSupervisor.live(base(shimmy)), mockServer());

    String responses =
        RawUpstream.exchange(
            edge.port(),
            "GET /v1/one HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(responses.indexOf("first")).isPositive().isLessThan(responses.indexOf("second"));
    assertThat(responses.split("HTTP/1.1 200 OK", -1)).hasSize(3);
    assertThat(shimmy.takeRequest().getTarget()).isEqualTo("/v1/one");
    assertThat(shimmy.takeRequest().getTarget()).isEqualTo("/v1/two");
  }

  /**
   * The rest of the hop-by-hop contract is in ProxyContractTest; the JDK server behind the proxy
   * does not announce the close.
   */
  @Test
  void honoursACloseAmongTheTokensOfOneConnectionHeaderAndAnnouncesIt() throws Exception {
    RawUpstream shimmy =
        raw(
            socket -> {
              String head = RawUpstream.readHead(socket.getInputStream());
              String body = head.replace("\r\n", "|");
              socket
                  .getOutputStream()
                  .write(
                      ("HTTP/1.1 200 OK\r\nX-Kept: yes\r\nContent-Length: "
                              + body.length()
                              + "\r\n\r\n"
                              + body)
                          .getBytes(UTF_8));
              socket.getOutputStream().flush();
              socket.getInputStream().read();
            });
    ShimmyEdge edge = edge(LeasingSupervisor.live(shimmy.uri()), mockServer());

    String response =
        RawUpstream.exchange(
            edge.port(),
            "GET /api/models HTTP/1.1\r\nHost: x\r\n"
                + "Connection: X-Client-Secret, close\r\nX-Client-Secret: 1\r\nX-Client-Kept: yes\r\n\r\n");

    String head = response.substring(0, response.indexOf("\r\n\r\n")).toLowerCase();
    String forwarded = response.substring(response.indexOf("\r\n\r\n") + 4).toLowerCase();
    assertThat(forwarded).contains("x-client-kept: yes").doesNotContain("x-client-secret");
    assertThat(head).contains("x-kept: yes", "connection: close");
  }

  @Test
  void forwardsHeadRequestsAndServesHttp10ClientsWithoutChunking() throws Exception {
    List<String> methods = new CopyOnWriteArrayList<>();
    RawUpstream shimmy =
        raw(
            socket -> {
              InputStream in = socket.getInputStream();
              OutputStream out = socket.getOutputStream();
              while (true) {
                String head = RawUpstream.readHead(in);
                methods.add(head.substring(0, head.indexOf(' ')));
                if (head.startsWith("HEAD ")) {
                  out.write("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n".getBytes(UTF_8));
                } else {
                  out.write(
                      ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              + chunk("chunked")
                              + chunk(" body")
                              + "0\r\n\r\n")
                          .getBytes(UTF_8));
                }
                out.flush();
              }
            });
    ShimmyEdge edge = edge(LeasingSupervisor.live(shimmy.uri()), mockServer());

    try (Response response =
        client
            .newCall(new Request.Builder().url(edge.url() + "/api/models").head().build())
            .execute()) {
      assertThat(response.header("Content-Length")).isEqualTo("11");
      assertThat(response.body().source().exhausted()).isTrue();
    }
    String http10 = RawUpstream.exchange(edge.port(), "GET /api/models HTTP/1.0\r\n\r\n");
    assertThat(http10)
        .startsWith("HTTP/1.1 200")
        .endsWith("\r\n\r\nchunked body")
        .doesNotContainIgnoringCase("transfer-encoding");
    assertThat(methods).containsExactly("HEAD", "GET");
  }

  @Test
  void aMalformedAnswerFromShimmyGets502AndTheNextRequestAFreshConnection() throws Exception {
    AtomicInteger connections = new AtomicInteger();
    RawUpstream shimmy =
        raw(
            socket -> {
              boolean first = connections.incrementAndGet() == 1;
              InputStream in = socket.getInputStream();
              OutputStream out = socket.getOutputStream();
              while (true) {
                String head = RawUpstream.readHead(in);
                in.readNBytes(contentLength(head));
                out.write(
                    (first
                            ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"
                            : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                        .getBytes(UTF_8));
                out.flush();
              }
            });
    LeasingSupervisor supervisor = LeasingSupervisor.live(shimmy.uri());
    ShimmyEdge edge = edge(supervisor, mockServer());

    try (Response response = post(edge, "/v1/embeddings", "{\"input\":\"x\"}")) {
      assertThat(response.code()).isEqualTo(502);
      assertThat(response.body().string()).contains("upstream_error");
    }
    try (Response response = post(edge, "/v1/embeddings", "{\"input\":\"y\"}")) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).isEqualTo("ok");
    }
    assertThat(connections.get()).isEqualTo(2);
    Await.until(EVENTUALLY, "the leases released", () -> supervisor.openLeases() == 0);
  }

  @Test
  void anAnswerEndedByClosingItsConnectionIsChunkedForTheClientWhoseConnectionStaysOpen()
      throws Exception {
    AtomicInteger connections = new AtomicInteger();
    RawUpstream shimmy =
        raw(
            socket -> {
              connections.incrementAndGet();
              RawUpstream.readHead(socket.getInputStream());
              OutputStream out = socket.getOutputStream();
              out.write(
                  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst ".getBytes(UTF_8));
              out.flush();
              sleep(50);
              out.write("second".getBytes(UTF_8));
              out.flush();
            });
    ShimmyEdge edge = edge(LeasingSupervisor.live(shimmy.uri()), mockServer());

    try (Socket socket = new Socket("127.0.0.1", edge.port())) {
      socket.setSoTimeout(10_000);
      for (int i = 0; i < 2; i++) {
        socket.getOutputStream().write("GET /v1/text HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(UTF_8));
        String answer = readUntil(socket.getInputStream(), "0\r\n\r\n");
        assertThat(answer)
            .startsWith("HTTP/1.1 200 OK\r\n")
            .containsIgnoringCase("transfer-encoding: chunked")
            .doesNotContainIgnoringCase("connection: close")
            .endsWith("\r\n\r\n6\r\nfirst \r\n6\r\nsecond\r\n0\r\n\r\n");
      }
    }
    assertThat(connections.get()).isEqualTo(2);
  }

  @Test
  void anAnswerArrivingByteByByteReachesTheClientIntact() throws Exception {
    String answer =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            + "X-Request-Id: r-1\r\n\r\n"
            + chunk("{\"model\":")
            + chunk("\"alpha\"}")
            + "0\r\n\r\n";
    RawUpstream shimmy =
        raw(
            socket -> {
              socket.setTcpNoDelay(true);
              RawUpstream.readHead(socket.getInputStream());
              OutputStream out = socket.getOutputStream();
              for (byte b : answer.getBytes(UTF_8)) {
                out.write(b);
                out.flush();
              }
              socket.getInputStream().read();
            });
    ShimmyEdge edge = edge(LeasingSupervisor.live(shimmy.uri()), mockServer());

    try (Response response = get(edge, "/v1/whatever")) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.header("X-Request-Id")).isEqualTo("r-1");
      assertThat(response.header("Content-Type")).isEqualTo("application/json");
      assertThat(response.body().string()).isEqualTo("{\"model\":\"alpha\"}");
    }
  }

  @Test
  void deliversALargeResponseIntactToASlowReader() throws Exception {
    byte[] payload = new byte[24 * 1024 * 1024];
    new Random(7).nextBytes(payload);
    MockWebServer shimmy = mockServer();
    shimmy.enqueue(new MockResponse.Builder().body(new Buffer().write(payload)).build());
    ShimmyEdge edge = edge(LeasingSupervisor.live(base(shimmy)), mockServer());

    MessageDigest received = MessageDigest.getInstance("SHA-256");
    try (Response response = get(edge, "/v1/blob")) {
      InputStream in = response.body().byteStream();
      byte[] buffer = new byte[64 * 1024];
      int read;
      int reads = 0;
      while ((read = in.read(buffer)) != -1) {
        received.update(buffer, 0, read);
        if (++reads % 64 == 0) {
          Thread.sleep(5); // slower than loopback: the edge must stop reading Shimmy, not buffer
        }
      }
    }
    assertThat(HexFormat.of().formatHex(received.digest()))
        .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload)));
  }

  @Test
  void rejectsOversizedHeadersAndMalformedRequestsWithJsonErrors() throws Exception {
    ShimmyEdge edge =
        track(
            ShimmyEdge.builder()
                .supervisor(LeasingSupervisor.none())
                .app(base(mockServer()))
                .maxHeaderBytes(1024)
                .build()
                .start());

    String tooLarge =
        RawUpstream.exchange(
            edge.port(),
            "GET /api/models HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(2048) + "\r\n\r\n");
    assertThat(tooLarge)
        .startsWith("HTTP/1.1 431")
        .contains("application/json", "\"code\":\"invalid_request\"");
    String longLine =
        RawUpstream.exchange(
            edge.port(), "GET /v1/" + "a".repeat(2048) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(longLine).startsWith("HTTP/1.1 414").contains("\"code\":\"invalid_request\"");
    String garbage = RawUpstream.exchange(edge.port(), "NOT HTTP AT ALL\r\n\r\n");
    assertThat(garbage).startsWith("HTTP/1.1 400").contains("\"code\":\"invalid_request\"");
  }

  @Test
  void aRefusedHeadRequestGetsTheErrorsHeadWithoutItsBody() throws Exception {
    ShimmyEdge edge = edge(LeasingSupervisor.none(), mockServer());

    String answer = RawUpstream.exchange(edge.port(), "HEAD /%00 HTTP/1.1\r\nHost: x\r\n\r\n");

    assertThat(answer)
        .startsWith("HTTP/1.1 400 Bad Request\r\n")
        .containsIgnoringCase("content-type: application/json")
        .containsIgnoringCase("connection: close")
        .matches("(?s).*content-length: [1-9][0-9]*\r\n.*")
        .endsWith("\r\n\r\n");
  }

  @Test
  void aRequestWithBothTransferEncodingAndContentLengthIs400AndForwardedNowhere() throws Exception {
    MockWebServer shimmy = mockServer();
    MockWebServer app = mockServer();
    ShimmyEdge edge = edge(LeasingSupervisor.live(base(shimmy)), app);

    String answer =
        RawUpstream.exchange(
            edge.port(),
            "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\n{}\r\n0\r\n\r\n");

    assertThat(answer)
        .startsWith("HTTP/1.1 400")
        .containsIgnoringCase("connection: close")
        .contains("\"code\":\"invalid_request\"");
    assertThat(shimmy.getRequestCount()).isZero();
    assertThat(app.getRequestCount()).isZero();
  }

  @Test
  void anInterimAnswerReachesHttp11ClientsButNotHttp10Ones() throws Exception {
    RawUpstream app =
        answersOnce(
            "HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    ShimmyEdge edge = edgeBefore(app);

    String http11 =
        RawUpstream.exchange(
            edge.port(), "GET /v1/api/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    String http10 = RawUpstream.exchange(edge.port(), "GET /v1/api/models HTTP/1.0\r\n\r\n");

    assertThat(http11)
        .startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
        .endsWith("ok");
    assertThat(http10).startsWith("HTTP/1.1 200 OK\r\n").endsWith("ok");
  }

  @Test
  void closesIdleKeepAliveConnectionsAfterTheIdleTimeout() throws Exception {
    MockWebServer shimmy = mockServer();
    shimmy.enqueue(new MockResponse.Builder().body("ok").build());
    ShimmyEdge edge =
        track(
            ShimmyEdge.builder()
                .supervisor(LeasingSupervisor.live(base(shimmy)))
                .app(base(mockServer()))
                .idleTimeout(Duration.ofMillis(300))
                .build()
                .start());

    try (Socket socket = new Socket("127.0.0.1", edge.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write("GET /api/models HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(UTF_8));
      assertThat(readUntil(socket.getInputStream(), "ok")).startsWith("HTTP/1.1 200");
      assertThat(socket.getInputStream().read()).as("closed by the edge").isEqualTo(-1);
    }
  }

  @Test
  void aShimmySilentForTheReadTimeoutBeforeAnsweringGets502AndItsLeaseBack() throws Exception {
    RawUpstream shimmy =
        raw(
            socket -> {
              InputStream in = socket.getInputStream();
              RawUpstream.readHead(in);
              while (in.read() >= 0) {
                // reads the body and waits, never answering
              }
            });
    LeasingSupervisor supervisor = LeasingSupervisor.live(shimmy.uri());
    ShimmyEdge edge = edgeWithReadTimeout(supervisor, Duration.ofMillis(300));

    long started = System.nanoTime();
    try (Response response =
        client
            .newCall(
                new Request.Builder()
                    .url(edge.url() + "/v1/embeddings")
                    .post(
                        RequestBody.create("{\"input\":\"x\"}", MediaType.get("application/json")))
                    .build())
            .execute()) {
      assertThat(response.code()).isEqualTo(502);
      assertThat(response.body().string()).contains("upstream_error");
    }
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
    Await.until(EVENTUALLY, "the lease released", () -> supervisor.openLeases() == 0);
  }

  @Test
  void aStreamSilentForTheReadTimeoutIsCutOffSoTheClientSeesItBroken() throws Exception {
    RawUpstream shimmy = oneTokenThenSilence();
    LeasingSupervisor supervisor = LeasingSupervisor.live(shimmy.uri());
    ShimmyEdge edge = edgeWithReadTimeout(supervisor, Duration.ofMillis(300));

    try (Socket socket = new Socket("127.0.0.1", edge.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write("GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(UTF_8));
      readUntil(socket.getInputStream(), "data: token");
      assertThat(socket.getInputStream().read()).as("closed mid-stream").isEqualTo(-1);
    }
    Await.until(EVENTUALLY, "the lease released", () -> supervisor.openLeases() == 0);
  }

  @Test
  void closingTheEdgeReleasesTheLeasesOfRequestsInFlight() throws Exception {
    RawUpstream shimmy = oneTokenThenSilence();
    LeasingSupervisor supervisor = LeasingSupervisor.live(shimmy.uri());
    ShimmyEdge edge =
        ShimmyEdge.builder().supervisor(supervisor).app(base(mockServer())).build().start();

    try (Socket socket = new Socket("127.0.0.1", edge.port())) {
      socket.getOutputStream().write("GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(UTF_8));
      readUntil(socket.getInputStream(), "data: token");
      assertThat(supervisor.openLeases()).isEqualTo(1);
      edge.close();
      assertThat(supervisor.openLeases()).isZero();
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void refusesToBuildWithoutItsRequiredPartsOrWithBadLimits() {
    assertThatThrownBy(() -> ShimmyEdge.builder().app(URI.create("http://127.0.0.1:1")).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("supervisor");
    assertThatThrownBy(() -> ShimmyEdge.builder().supervisor(LeasingSupervisor.none()).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("app");
    assertThatThrownBy(
            () ->
                ShimmyEdge.builder()
                    .supervisor(LeasingSupervisor.none())
                    .app(URI.create("https://127.0.0.1:1"))
                    .build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShimmyEdge.builder().idleTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShimmyEdge.builder().port(70000))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void reportsAPortThatCannotBeBound() throws Exception {
    ShimmyEdge first = edge(LeasingSupervisor.none(), mockServer());
    ShimmyEdge second =
        ShimmyEdge.builder()
            .supervisor(LeasingSupervisor.none())
            .app(URI.create("http://127.0.0.1:1"))
            .port(first.port())
            .build();

    assertThatThrownBy(second::start)
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageContaining("cannot bind");
  }

  /** A Shimmy that answers a chunked stream with one SSE event, then stays silent. */
  private RawUpstream oneTokenThenSilence() throws IOException {
    return raw(
        socket -> {
          RawUpstream.readHead(socket.getInputStream());
          socket
              .getOutputStream()
              .write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(UTF_8));
          socket.getOutputStream().write(chunk("data: token\n\n").getBytes(UTF_8));
          socket.getOutputStream().flush();
          socket.getInputStream().read();
        });
  }

  private ShimmyEdge edgeWithReadTimeout(LeasingSupervisor supervisor, Duration readTimeout)
      throws IOException {
    return track(
        ShimmyEdge.builder()
            .supervisor(supervisor)
            .app(base(mockServer()))
            .readTimeout(readTimeout)
            .build()
            .start());
  }

  /** An edge with no Shimmy instance: every request goes to {@code app}. */
  private ShimmyEdge edgeBefore(RawUpstream app) {
    return track(
        ShimmyEdge.builder().supervisor(LeasingSupervisor.none()).app(app.uri()).build().start());
  }

  private ShimmyEdge edge(LeasingSupervisor supervisor, MockWebServer app) {
    return track(ShimmyEdge.builder().supervisor(supervisor).app(base(app)).build().start());
  }

  private ShimmyEdge track(ShimmyEdge edge) {
    return servers.track(edge);
  }

  private Response get(ShimmyEdge edge, String path) throws IOException {
    return client.newCall(new Request.Builder().url(edge.url() + path).build()).execute();
  }

  private Response post(ShimmyEdge edge, String path, String json) throws IOException {
    return client
        .newCall(
            new Request.Builder()
                .url(edge.url() + path)
                .post(RequestBody.create(json, MediaType.get("application/json")))
                .build())
        .execute();
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
        return Integer.parseInt(line.substring(15).trim());
      }
    }
    return 0;
  }

  private static String rawGet(ShimmyEdge edge, String path, String... headerLines)
      throws IOException {
    StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: x\r\n");
    for (String line : headerLines) {
      request.append(line).append("\r\n");
    }
    return RawUpstream.exchange(
        edge.port(), request.append("Connection: close\r\n\r\n").toString());
  }

  private MockWebServer mockServer() throws IOException {
    return servers.mock();
  }

  private RawUpstream raw(RawUpstream.Script script) throws IOException {
    return servers.raw(script);
  }

  /** An upstream that reads one request head per connection and sends {@code answer} to it. */
  private RawUpstream answersOnce(String answer) throws IOException {
    return raw(
        socket -> {
          RawUpstream.readHead(socket.getInputStream());
          socket.getOutputStream().write(answer.getBytes(UTF_8));
          socket.getOutputStream().flush();
        });
  }

  private static URI base(MockWebServer server) {
    return TestServers.base(server);
  }

  private static String chunk(String data) {
    return Integer.toHexString(data.getBytes(UTF_8).length) + "\r\n" + data + "\r\n";
  }

  private static String readUntil(InputStream in, String marker) throws IOException {
    StringBuilder seen = new StringBuilder();
    byte[] buffer = new byte[1024];
    while (seen.indexOf(marker) < 0) {
      int read = in.read(buffer);
      if (read == -1) {
        throw new IOException("closed before '" + marker + "'; got: " + seen);
      }
      seen.append(new String(buffer, 0, read, UTF_8));
    }
    return seen.toString();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
