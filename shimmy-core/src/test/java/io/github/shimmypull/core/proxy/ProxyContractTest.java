package io.github.shimmypull.core.proxy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.doubles.LeasingSupervisor;
import io.github.shimmypull.core.doubles.ModelSupervisor;
import io.github.shimmypull.core.doubles.TestServers;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.RawUpstream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import okio.BufferedSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The proxy contract, the same for every engine that forwards client requests to the Shimmy
 * instance of their model: the blocking {@link ShimmyProxy} and the Netty edge in front of it. Each
 * engine's own class starts it ({@link #start}) and says what it does differently (which supervisor
 * call leased an instance, whether the application behind the edge answered); checks only one
 * engine has stay in that engine's own test class.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class ProxyContractTest {

  protected static final Duration EVENTUALLY = Duration.ofSeconds(20);
  private static final MediaType JSON = MediaType.get("application/json");

  protected final TestServers servers = new TestServers();

  /** Every engine counts into this registry. */
  protected final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  private final Map<String, MockWebServer> upstreams = new TreeMap<>();
  private final OkHttpClient client =
      new OkHttpClient.Builder()
          .readTimeout(Duration.ofSeconds(30))
          .retryOnConnectionFailure(false)
          .build();

  /**
   * Starts the engine under test on 127.0.0.1 in front of {@code supervisor}, routing with {@code
   * router} and counting into {@link #meters}; it is closed after the test with {@link #servers}.
   *
   * @return its base URL, {@code http://127.0.0.1:PORT}
   */
  protected abstract URI start(ShimmySupervisor supervisor, ModelRouter router) throws IOException;

  /**
   * Asserts the engine leased the ready instances of these models, in this order, and nothing else.
   */
  protected abstract void assertLeasedInOrder(ModelSupervisor supervisor, String... models);

  /**
   * Asserts how many requests the engine handed to the application behind it (the proxy is that
   * application).
   */
  protected abstract void assertHandedToTheApplication(int requests);

  @AfterEach
  void closeServers() throws Exception {
    servers.close();
    client.connectionPool().evictAll();
    client.dispatcher().executorService().shutdown();
  }

  @Test
  void forwardsMethodPathQueryHeadersAndBodyAndTheUpstreamAnswer() throws Exception {
    MockWebServer upstream = servers.mock();
    upstream.enqueue(
        new MockResponse.Builder()
            .code(201)
            .addHeader("X-Upstream", "yes")
            .addHeader("Content-Type", "application/json")
            .body("{\"ok\":true}")
            .build());
    LeasingSupervisor supervisor = LeasingSupervisor.live(TestServers.base(upstream)).serving("m");
    URI front = start(supervisor, ModelRouter.defaults());

    Request request =
        new Request.Builder()
            .url(front + "/v1/chat/completions?stream=false&q=a%20b")
            .header("X-Custom", "value-1")
            .post(RequestBody.create("{\"model\":\"m\"}", JSON))
            .build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(201);
      assertThat(response.header("X-Upstream")).isEqualTo("yes");
      assertThat(response.body().string()).isEqualTo("{\"ok\":true}");
    }

    RecordedRequest recorded = upstream.takeRequest(5, TimeUnit.SECONDS);
    assertThat(recorded.getMethod()).isEqualTo("POST");
    assertThat(recorded.getTarget()).isEqualTo("/v1/chat/completions?stream=false&q=a%20b");
    assertThat(recorded.getBody().utf8()).isEqualTo("{\"model\":\"m\",\"stream\":false}");
    assertThat(recorded.getHeaders().get("Content-Length")).isEqualTo("28");
    assertThat(recorded.getHeaders().get("Content-Type")).startsWith("application/json");
    assertThat(recorded.getHeaders().get("X-Custom")).isEqualTo("value-1");
    assertThat(recorded.getHeaders().get("Host")).isEqualTo("127.0.0.1:" + upstream.getPort());
    assertThat(recorded.getHeaders().get("X-Forwarded-Host")).isEqualTo(front.getAuthority());
    assertThat(recorded.getHeaders().get("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(recorded.getHeaders().get("X-Forwarded-Proto")).isEqualTo("http");
    assertHandedToTheApplication(0);
    awaitLeasesReleased(supervisor::openLeases);
    assertThat(supervisor.acquisitions()).isEqualTo(1);
  }

  @Test
  void forwardsHeadRequestsWithoutABody() throws Exception {
    MockWebServer upstream = servers.mock();
    upstream.enqueue(new MockResponse.Builder().addHeader("X-Models", "2").build());
    LeasingSupervisor supervisor = LeasingSupervisor.live(TestServers.base(upstream));
    URI front = start(supervisor, ModelRouter.defaults());

    try (Response response =
        client.newCall(new Request.Builder().url(front + "/v1/models").head().build()).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.header("X-Models")).isEqualTo("2");
      assertThat(response.body().bytes()).isEmpty();
    }
    assertThat(upstream.takeRequest(5, TimeUnit.SECONDS).getMethod()).isEqualTo("HEAD");
    awaitLeasesReleased(supervisor::openLeases);
  }

  @Test
  void stripsHopByHopHeadersInBothDirections() throws Exception {
    MockWebServer upstream = servers.mock();
    upstream.enqueue(
        new MockResponse.Builder()
            .addHeader("Keep-Alive", "timeout=5")
            .addHeader("Proxy-Authenticate", "Basic")
            .addHeader("Connection", "X-Upstream-Hop")
            .addHeader("X-Upstream-Hop", "secret")
            .addHeader("X-End-To-End", "kept")
            .body("ok")
            .build());
    URI front = start(LeasingSupervisor.live(TestServers.base(upstream)), ModelRouter.defaults());

    String raw =
        RawUpstream.exchange(
            front.getPort(),
            "GET /api/models HTTP/1.1\r\n"
                + "Host: front.example\r\n"
                + "Connection: close\r\n"
                + "Connection: X-Client-Hop\r\n"
                + "X-Client-Hop: secret\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "Proxy-Authorization: Basic abc\r\n"
                + "TE: trailers\r\n"
                + "X-End-To-End: kept\r\n"
                + "\r\n");

    RecordedRequest recorded = upstream.takeRequest(5, TimeUnit.SECONDS);
    assertThat(recorded.getHeaders().get("X-End-To-End")).isEqualTo("kept");
    assertThat(recorded.getHeaders().names())
        .map(String::toLowerCase)
        .doesNotContain("x-client-hop", "keep-alive", "proxy-authorization", "te");
    assertThat(recorded.getHeaders().get("Host")).isEqualTo("127.0.0.1:" + upstream.getPort());
    assertThat(recorded.getHeaders().get("X-Forwarded-Host")).isEqualTo("front.example");
    String head = raw.substring(0, raw.indexOf("\r\n\r\n")).toLowerCase();
    assertThat(head).startsWith("http/1.1 200").contains("x-end-to-end: kept");
    assertThat(head).doesNotContain("x-upstream-hop", "keep-alive", "proxy-authenticate");
    assertThat(raw).endsWith("ok");
  }

  @Test
  void forwardsEachServerSentEventBeforeTheUpstreamStreamHasFinished() throws Exception {
    CountDownLatch clientReadFirstEvent = new CountDownLatch(1);
    RawUpstream upstream =
        servers.raw(
            socket -> {
              RawUpstream.readHead(socket.getInputStream());
              OutputStream out = socket.getOutputStream();
              out.write(
                  ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                          + chunk("data: {\"token\":\"Hel\"}\n\n"))
                      .getBytes(UTF_8));
              out.flush();
              if (!opens(clientReadFirstEvent)) {
                throw new IOException("first event not delivered while the stream was open");
              }
              out.write(
                  (chunk("data: {\"token\":\"lo\"}\n\n") + chunk("data: [DONE]\n\n") + "0\r\n\r\n")
                      .getBytes(UTF_8));
              out.flush();
              socket.getInputStream().read();
            });
    LeasingSupervisor supervisor = LeasingSupervisor.live(upstream.uri());
    URI front = start(supervisor, ModelRouter.defaults());

    Request request =
        new Request.Builder()
            .url(front + "/v1/chat/completions")
            .post(RequestBody.create("{\"stream\":true}", JSON))
            .build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.header("Content-Type")).isEqualTo("text/event-stream");
      BufferedSource source = response.body().source();
      assertThat(source.readUtf8LineStrict()).isEqualTo("data: {\"token\":\"Hel\"}");
      assertThat(supervisor.openLeases())
          .as("the lease is held while the stream runs")
          .isEqualTo(1);
      clientReadFirstEvent.countDown();
      assertThat(source.readUtf8()).isEqualTo("\ndata: {\"token\":\"lo\"}\n\ndata: [DONE]\n\n");
    }
    awaitLeasesReleased(supervisor::openLeases);
  }

  @Test
  void releasesTheLeaseAndClosesTheUpstreamConnectionWhenTheClientLeavesMidStream()
      throws Exception {
    CountDownLatch upstreamClosed = new CountDownLatch(1);
    RawUpstream upstream =
        servers.raw(
            socket -> {
              RawUpstream.readHead(socket.getInputStream());
              OutputStream out = socket.getOutputStream();
              out.write(
                  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                      .getBytes(UTF_8));
              try {
                while (true) { // until the engine closes this connection: the write fails
                  out.write(chunk("data: token\n\n").getBytes(UTF_8));
                  out.flush();
                }
              } catch (IOException closed) {
                upstreamClosed.countDown();
              }
            });
    LeasingSupervisor supervisor = LeasingSupervisor.live(upstream.uri());
    URI front = start(supervisor, ModelRouter.defaults());

    try (Socket socket = new Socket("127.0.0.1", front.getPort())) {
      socket.getOutputStream().write("GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(UTF_8));
      assertThat(readUntil(socket.getInputStream(), "data: token")).contains("200 OK");
      assertThat(supervisor.openLeases()).isEqualTo(1);
    }

    awaitLeasesReleased(supervisor::openLeases);
    Await.until(EVENTUALLY, "the upstream connection closed", upstreamClosed);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "Content-Length: 100\r\n\r\nhello"
      })
  void abortsTheClientConnectionAndReleasesTheLeaseWhenTheUpstreamFailsMidBody(
      String framingAndPart) throws Exception {
    RawUpstream upstream =
        servers.raw(
            socket -> {
              RawUpstream.readHead(socket.getInputStream());
              socket
                  .getOutputStream()
                  .write(
                      ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + framingAndPart)
                          .getBytes(UTF_8));
              socket.getOutputStream().flush();
              socket.setSoLinger(true, 0);
              socket.close();
            });
    LeasingSupervisor supervisor = LeasingSupervisor.live(upstream.uri());
    URI front = start(supervisor, ModelRouter.defaults());

    try (Response response =
        client.newCall(new Request.Builder().url(front + "/v1/stream").build()).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThatThrownBy(() -> response.body().string())
          .as("a broken upstream must not look like a complete response")
          .isInstanceOf(IOException.class);
    }
    awaitLeasesReleased(supervisor::openLeases);
  }

  @Test
  void answers503WithRetryAfterWhenNoInstanceIsLive() throws Exception {
    URI front = start(LeasingSupervisor.none(), ModelRouter.defaults());

    try (Response response =
        client
            .newCall(
                new Request.Builder()
                    .url(front + "/v1/chat/completions")
                    .post(RequestBody.create("{}", JSON))
                    .build())
            .execute()) {
      assertThat(response.code()).isEqualTo(503);
      assertThat(response.header("Retry-After"))
          .isEqualTo(io.github.shimmypull.core.http.ErrorResponses.RETRY_AFTER_SECONDS);
      assertThat(response.header("Content-Type")).isEqualTo("application/json");
      assertThat(response.body().string())
          .contains("\"code\":\"backend_unavailable\"")
          .contains("\"error\":\"");
    }
    assertHandedToTheApplication(1);
    Await.until(
        EVENTUALLY,
        "the 503 counted",
        () -> meters.counter(ShimmyProxy.REQUESTS_METER, "status", "503").count() == 1.0);
  }

  @Test
  void answers502WhenAFreshUpstreamConnectionDiesAfterTakingTheBody() throws Exception {
    RawUpstream upstream =
        servers.raw(
            socket -> {
              InputStream in = socket.getInputStream();
              RawUpstream.readHead(in);
              in.readNBytes(4);
              socket.setSoLinger(true, 0);
            });
    LeasingSupervisor supervisor = LeasingSupervisor.live(upstream.uri()).serving("m");
    URI front = start(supervisor, ModelRouter.defaults());

    try (Response response =
        client
            .newCall(
                new Request.Builder()
                    .url(front + "/v1/completions")
                    .post(RequestBody.create("body", MediaType.get("text/plain")))
                    .build())
            .execute()) {
      assertThat(response.code()).isEqualTo(502);
      assertThat(response.header("Content-Type")).isEqualTo("application/json");
      assertThat(response.body().string()).contains("\"code\":\"upstream_error\"");
    }
    assertHandedToTheApplication(0); // a request Shimmy may have acted on is not replayed
    awaitLeasesReleased(supervisor::openLeases);
    Await.until(
        EVENTUALLY,
        "the 502 counted",
        () -> meters.counter(ShimmyProxy.REQUESTS_METER, "status", "502").count() == 1.0);
  }

  @Test
  void countsForwardedRequestsByStatus() throws Exception {
    MockWebServer upstream = servers.mock();
    upstream.enqueue(new MockResponse.Builder().code(404).body("{}").build());
    URI front = start(LeasingSupervisor.live(TestServers.base(upstream)), ModelRouter.defaults());

    try (Response response =
        client.newCall(new Request.Builder().url(front + "/v1/missing").build()).execute()) {
      assertThat(response.code()).isEqualTo(404);
    }
    Await.until(
        EVENTUALLY,
        "the 404 counted",
        () -> meters.counter(ShimmyProxy.REQUESTS_METER, "status", "404").count() == 1.0);
  }

  // ---- routing by model (one upstream per model)

  @Test
  void eachRequestReachesTheReadyInstanceOfTheModelItNames() throws Exception {
    ModelSupervisor supervisor =
        new ModelSupervisor()
            .running("alpha", TestServers.base(upstream("alpha")))
            .running("beta", TestServers.base(upstream("beta")))
            .running("gamma", TestServers.base(upstream("gamma")));
    URI front = start(supervisor, ModelRouter.defaults());

    String[][] requests = {
      {"/v1/chat/completions", "{\"model\":\"alpha\",\"messages\":[],\"stream\":true}"},
      {"/v1/chat/completions", "{\"model\":\"beta\",\"messages\":[],\"stream\":false}"},
      {"/v1/completions", "{\"model\":\"gamma\",\"prompt\":\"hi\"}"},
      {"/v1/messages", "{\"model\":\"alpha\",\"prompt\":\"hi\"}"},
      {"/v1/messages", "{\"model\":\"beta\",\"max_tokens\":5,\"messages\":[]}"},
      {"/v1/chat/completions", "{\"model\":\"gamma\",\"messages\":[]}"},
    };
    for (String[] request : requests) {
      String model = request[1].substring(10, request[1].indexOf('"', 10));
      try (Response response = post(front, request[0], request[1])) {
        assertThat(response.code()).isEqualTo(200);
        assertThat(response.body().string()).isEqualTo("answer of " + model + " to " + request[0]);
      }
    }
    assertLeasedInOrder(supervisor, "alpha", "beta", "gamma", "alpha", "beta", "gamma");
    assertHandedToTheApplication(0);
    assertThat(upstreams.get("alpha").getRequestCount()).isEqualTo(2);
    assertThat(upstreams.get("beta").getRequestCount()).isEqualTo(2);
    assertThat(upstreams.get("gamma").getRequestCount()).isEqualTo(2);
    assertThat(upstreams.get("gamma").takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"gamma\",\"prompt\":\"hi\",\"stream\":false}");
    assertThat(upstreams.get("gamma").takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"gamma\",\"messages\":[],\"stream\":false}");
    assertThat(upstreams.get("alpha").takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"alpha\",\"messages\":[],\"stream\":true}");
    assertThat(upstreams.get("alpha").takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"alpha\",\"prompt\":\"hi\"}");
    awaitLeasesReleased(supervisor::openLeases);
  }

  @Test
  void anUnknownModelIs404InOpenAisShapeAMissingOne400AndNeitherStartsAnything() throws Exception {
    ModelSupervisor supervisor =
        new ModelSupervisor()
            .running("alpha", TestServers.base(upstream("alpha")))
            .cold("beta", TestServers.base(upstream("beta")))
            .cold("gamma", TestServers.base(upstream("gamma")));
    URI front = start(supervisor, ModelRouter.defaults());

    try (Response response =
        post(front, "/v1/chat/completions", "{\"model\":\"delta\",\"messages\":[]}")) {
      assertThat(response.code()).isEqualTo(404);
      assertThat(response.header("Content-Type")).isEqualTo("application/json");
      assertThat(response.body().string())
          .isEqualTo(
              "{\"error\":{\"message\":\"Model 'delta' not found. Available models: [\\\"alpha\\\", \\\"beta\\\", \\\"gamma\\\"]\","
                  + "\"type\":\"invalid_request_error\",\"param\":\"model\",\"code\":\"model_not_found\"}}");
    }
    try (Response response = post(front, "/v1/completions", "{\"prompt\":\"hi\"}")) {
      assertThat(response.code()).isEqualTo(400);
      assertThat(response.body().string())
          .contains("\"code\":\"model_required\"")
          .contains("\"param\":\"model\"");
    }
    assertThat(supervisor.acquiredModels()).isEmpty();
    assertThat(supervisor.isRunning("beta")).isFalse();
    upstreams.values().forEach(upstream -> assertThat(upstream.getRequestCount()).isZero());
  }

  @Test
  void aRequestWithoutModelGoesToTheDefaultModel() throws Exception {
    ModelSupervisor supervisor =
        new ModelSupervisor()
            .running("alpha", TestServers.base(upstream("alpha")))
            .running("beta", TestServers.base(upstream("beta")));
    URI front = start(supervisor, ModelRouter.builder().defaultModel("beta").build());

    try (Response response = post(front, "/v1/messages", "{\"prompt\":\"hi\"}")) {
      assertThat(response.body().string()).isEqualTo("answer of beta to /v1/messages");
    }
    assertLeasedInOrder(supervisor, "beta");
    assertHandedToTheApplication(0);
    assertThat(upstreams.get("beta").takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"beta\",\"prompt\":\"hi\"}");
  }

  @Test
  void openAiPathsWithoutStreamAreForwardedWithStreamFalseAndOthersUnchanged() throws Exception {
    ModelSupervisor supervisor =
        new ModelSupervisor()
            .running("alpha", TestServers.base(upstream("alpha")))
            .cold("beta", TestServers.base(upstream("beta")));
    URI front = start(supervisor, ModelRouter.defaults());

    post(front, "/v1/chat/completions", "{\"model\":\"alpha\",\"messages\":[]}").close();
    post(front, "/v1/chat/completions", "{\"model\":\"alpha\",\"stream\":true,\"messages\":[]}")
        .close();
    post(front, "/v1/completions", "{\"model\":\"alpha\",\"prompt\":\"p\"}").close();
    post(front, "/api/generate", "{\"model\":\"alpha\",\"prompt\":\"p\"}").close();
    post(front, "/v1/messages", "{\"model\":\"alpha\",\"messages\":[]}").close();
    try (Response response =
        post(front, "/v1/generate", "{\"model\":\"alpha\",\"prompt\":\"p\"}")) {
      assertThat(response.body().string()).isEqualTo("answer of alpha to /api/generate");
    }

    MockWebServer alpha = upstreams.get("alpha");
    RecordedRequest chat = alpha.takeRequest(5, TimeUnit.SECONDS);
    assertThat(chat.getBody().utf8())
        .isEqualTo("{\"model\":\"alpha\",\"messages\":[],\"stream\":false}");
    assertThat(chat.getHeaders().get("Content-Length"))
        .isEqualTo(Long.toString(chat.getBodySize()));
    assertThat(alpha.takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"alpha\",\"stream\":true,\"messages\":[]}");
    assertThat(alpha.takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"alpha\",\"prompt\":\"p\",\"stream\":false}");
    assertThat(alpha.takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"alpha\",\"prompt\":\"p\"}");
    assertThat(alpha.takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"alpha\",\"messages\":[]}");
    RecordedRequest generate = alpha.takeRequest(5, TimeUnit.SECONDS);
    assertThat(generate.getTarget()).isEqualTo("/api/generate");
    assertThat(generate.getBody().utf8())
        .isEqualTo("{\"model\":\"alpha\",\"prompt\":\"p\",\"stream\":false}");
  }

  @Test
  void aChunkedBodyIsRoutedByTheModelItNames() throws Exception {
    ModelSupervisor supervisor =
        new ModelSupervisor()
            .running("alpha", TestServers.base(upstream("alpha")))
            .running("beta", TestServers.base(upstream("beta")));
    URI front = start(supervisor, ModelRouter.defaults());
    RequestBody chunked =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return JSON;
          }

          @Override
          public long contentLength() {
            return -1;
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            sink.writeUtf8("{\"model\":\"Beta\",");
            sink.flush();
            sink.writeUtf8("\"prompt\":\"p\"}");
          }
        };

    try (Response response =
        client
            .newCall(new Request.Builder().url(front + "/v1/completions").post(chunked).build())
            .execute()) {
      assertThat(response.body().string()).isEqualTo("answer of beta to /v1/completions");
    }
    assertHandedToTheApplication(1);
    assertThat(upstreams.get("beta").takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"beta\",\"prompt\":\"p\",\"stream\":false}");
  }

  // ---- fixtures

  /** An upstream answering every request with "answer of MODEL to PATH". */
  private MockWebServer upstream(String model) throws IOException {
    MockWebServer server = servers.mock();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return new MockResponse.Builder()
                .body("answer of " + model + " to " + request.getUrl().encodedPath())
                .build();
          }
        });
    upstreams.put(model, server);
    return server;
  }

  private Response post(URI front, String path, String body) throws IOException {
    return client
        .newCall(
            new Request.Builder()
                .url(front + path)
                .post(RequestBody.create(body.getBytes(UTF_8), JSON))
                .build())
        .execute();
  }

  private static void awaitLeasesReleased(java.util.function.IntSupplier openLeases) {
    Await.until(EVENTUALLY, "every lease released", openLeases::getAsInt, open -> open == 0);
  }

  /**
   * For the upstream's scripts: false when {@code latch} did not open in time, so they can fail the
   * exchange.
   */
  private static boolean opens(CountDownLatch latch) {
    try {
      return latch.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
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
}
