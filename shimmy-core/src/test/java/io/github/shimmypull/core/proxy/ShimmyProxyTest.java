package io.github.shimmypull.core.proxy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.github.shimmypull.core.doubles.JdkHttpServer;
import io.github.shimmypull.core.doubles.LeasingSupervisor;
import io.github.shimmypull.core.doubles.TestServers;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.RawUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShimmyProxyTest {

  private static final Duration EVENTUALLY = Duration.ofSeconds(20);
  private static final int MIB = 1024 * 1024;

  private final TestServers servers = new TestServers();
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final OkHttpClient client =
      new OkHttpClient.Builder()
          .readTimeout(Duration.ofSeconds(30))
          .retryOnConnectionFailure(false)
          .build();

  @AfterEach
  void tearDown() throws Exception {
    servers.close();
    threads.shutdownNow();
    client.connectionPool().evictAll();
    client.dispatcher().executorService().shutdown();
  }

  /**
   * The edge tunnels upgrades; the blocking proxy forwards the request without the Upgrade header.
   */
  @Test
  void stripsAnUpgradeHeaderAndTheTokensOfEveryConnectionHeaderLine() throws Exception {
    MockWebServer upstream = mockUpstream();
    upstream.enqueue(new MockResponse.Builder().body("ok").build());
    JdkHttpServer front =
        front(ShimmyProxy.builder().supervisor(LeasingSupervisor.live(base(upstream))).build());

    String raw =
        rawExchange(
            front.port(),
            "GET /v1/models HTTP/1.1\r\n"
                + "Host: front.example\r\n"
                + "Connection: close\r\n"
                + "Connection: X-Client-Hop\r\n"
                + "X-Client-Hop: secret\r\n"
                + "Upgrade: websocket\r\n"
                + "X-End-To-End: kept\r\n"
                + "\r\n");

    RecordedRequest recorded = upstream.takeRequest(5, TimeUnit.SECONDS);
    assertThat(recorded.getHeaders().get("X-End-To-End")).isEqualTo("kept");
    assertThat(recorded.getHeaders().names())
        .map(String::toLowerCase)
        .doesNotContain("x-client-hop", "upgrade");
    assertThat(raw).startsWith("HTTP/1.1 200").endsWith("ok");
  }

  @Test
  void streamsTheRequestBodyToTheUpstreamBeforeTheClientHasFinishedSendingIt() throws Exception {
    CountDownLatch upstreamSawFirstBytes = new CountDownLatch(1);
    AtomicLong upstreamReceived = new AtomicLong();
    HttpServer upstream =
        upstream(
            jdk -> {
              byte[] buffer = new byte[64 * 1024];
              try (InputStream in = jdk.getRequestBody()) {
                int read;
                while ((read = in.read(buffer)) != -1) {
                  if (upstreamReceived.addAndGet(read) >= MIB) {
                    upstreamSawFirstBytes.countDown();
                  }
                }
              }
              byte[] answer = Long.toString(upstreamReceived.get()).getBytes(UTF_8);
              jdk.sendResponseHeaders(200, answer.length);
              jdk.getResponseBody().write(answer);
              jdk.close();
            });
    JdkHttpServer front =
        front(ShimmyProxy.builder().supervisor(LeasingSupervisor.live(base(upstream))).build());

    long total = 64L * MIB;
    RequestBody body =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return MediaType.get("application/octet-stream");
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            byte[] chunk = new byte[64 * 1024];
            for (long sent = 0; sent < total; sent += chunk.length) {
              sink.write(chunk);
              if (sent + chunk.length == 2L * MIB) {
                sink.flush();
                // A proxy that buffers the whole body would never let the upstream see these bytes.
                if (!opens(upstreamSawFirstBytes)) {
                  throw new IOException(
                      "the upstream did not receive the first bytes while streaming");
                }
              }
            }
          }
        };
    Request request = new Request.Builder().url(front.uri("/upload").toString()).post(body).build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).isEqualTo(Long.toString(total));
    }
  }

  @Test
  void streamsALargeResponseBodyToTheClientWhileTheUpstreamIsStillProducingIt() throws Exception {
    CountDownLatch clientSawFirstBytes = new CountDownLatch(1);
    long total = 64L * MIB;
    HttpServer upstream =
        upstream(
            jdk -> {
              jdk.sendResponseHeaders(200, total);
              byte[] chunk = new byte[64 * 1024];
              try (OutputStream out = jdk.getResponseBody()) {
                for (long sent = 0; sent < total; sent += chunk.length) {
                  out.write(chunk);
                  if (sent + chunk.length == MIB) {
                    out.flush();
                    if (!opens(clientSawFirstBytes)) {
                      throw new IOException(
                          "the client did not see the first MiB while it streamed");
                    }
                  }
                }
              }
            });
    JdkHttpServer front =
        front(ShimmyProxy.builder().supervisor(LeasingSupervisor.live(base(upstream))).build());

    try (Response response =
        client.newCall(new Request.Builder().url(front.uri("/big").toString()).build()).execute()) {
      assertThat(response.header("Content-Length")).isEqualTo(Long.toString(total));
      InputStream in = response.body().byteStream();
      byte[] buffer = new byte[64 * 1024];
      long received = 0;
      int read;
      while ((read = in.read(buffer)) != -1) {
        received += read;
        if (received >= MIB) {
          clientSawFirstBytes.countDown();
        }
      }
      assertThat(received).isEqualTo(total);
    }
  }

  @Test
  void holdsTheLeaseUntilTheResponseBodyIsFullyWritten() throws Exception {
    CountDownLatch finishBody = new CountDownLatch(1);
    HttpServer upstream =
        upstream(
            jdk -> {
              jdk.sendResponseHeaders(200, 0);
              OutputStream out = jdk.getResponseBody();
              out.write("part one;".getBytes(UTF_8));
              out.flush();
              opens(finishBody);
              out.write("part two".getBytes(UTF_8));
              out.close();
              jdk.close();
            });
    LeasingSupervisor supervisor = LeasingSupervisor.live(base(upstream));
    JdkHttpServer front = front(ShimmyProxy.builder().supervisor(supervisor).build());

    try (Response response =
        client
            .newCall(new Request.Builder().url(front.uri("/slow").toString()).build())
            .execute()) {
      BufferedSource source = response.body().source();
      source.require(9);
      assertThat(source.readUtf8(9)).isEqualTo("part one;");
      assertThat(supervisor.openLeases()).isEqualTo(1);
      finishBody.countDown();
      assertThat(source.readUtf8()).isEqualTo("part two");
    }
    Await.until(EVENTUALLY, "every lease released", () -> supervisor.openLeases() == 0);
  }

  @Test
  void answers503ForTheModelListWhileAStartIsInProgress() throws Exception {
    JdkHttpServer front =
        front(
            ShimmyProxy.builder()
                .supervisor(LeasingSupervisor.starting())
                .acquireWait(Duration.ofMillis(50))
                .build());

    try (Response response =
        client
            .newCall(new Request.Builder().url(front.uri("/v1/models").toString()).build())
            .execute()) {
      assertThat(response.code()).isEqualTo(503);
      assertThat(response.body().string()).contains("\"code\":\"backend_unavailable\"");
    }
  }

  @Test
  void answers502WhenTheUpstreamRefusesConnectionsEvenOnAFreshLease() throws Exception {
    URI dead = deadUrl();
    LeasingSupervisor supervisor = LeasingSupervisor.live(dead);
    JdkHttpServer front = front(ShimmyProxy.builder().supervisor(supervisor).build());

    try (Response response =
        client
            .newCall(new Request.Builder().url(front.uri("/v1/models").toString()).build())
            .execute()) {
      assertThat(response.code()).isEqualTo(502);
      assertThat(response.header("Content-Type")).isEqualTo("application/json");
      assertThat(response.body().string()).contains("\"code\":\"upstream_error\"");
    }
    assertThat(supervisor.acquisitions()).isEqualTo(2);
    Await.until(EVENTUALLY, "every lease released", () -> supervisor.openLeases() == 0);
  }

  @Test
  void retriesOnceOnAFreshLeaseWhenTheFirstInstanceIsGoneMidSwitch() throws Exception {
    MockWebServer upstream = mockUpstream();
    upstream.enqueue(new MockResponse.Builder().body("from the new instance").build());
    LeasingSupervisor supervisor = LeasingSupervisor.none().thenLive(deadUrl(), base(upstream));
    JdkHttpServer front = front(ShimmyProxy.builder().supervisor(supervisor).build());

    Request request =
        new Request.Builder()
            .url(front.uri("/v1/completions").toString())
            .post(RequestBody.create("{\"prompt\":\"hi\"}", MediaType.get("application/json")))
            .build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).isEqualTo("from the new instance");
    }
    assertThat(upstream.takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"prompt\":\"hi\",\"stream\":false}");
    assertThat(supervisor.acquisitions()).isEqualTo(2);
    Await.until(EVENTUALLY, "every lease released", () -> supervisor.openLeases() == 0);
  }

  @Test
  void doesNotRetryOnceTheRequestBodyWasSentToAFailingUpstream() throws Exception {
    RawUpstream failing =
        rawUpstream(
            socket -> {
              InputStream in = socket.getInputStream();
              readHead(in);
              in.read(new byte[8]);
              socket.setSoLinger(true, 0);
              socket.close();
            });
    MockWebServer second = mockUpstream();
    second.enqueue(new MockResponse.Builder().body("must not be reached").build());
    LeasingSupervisor supervisor = LeasingSupervisor.none().thenLive(base(failing), base(second));
    JdkHttpServer front = front(ShimmyProxy.builder().supervisor(supervisor).build());

    byte[] body = new byte[256 * 1024];
    Request request =
        new Request.Builder()
            .url(front.uri("/v1/completions").toString())
            .post(RequestBody.create(body, MediaType.get("application/octet-stream")))
            .build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(502);
      assertThat(response.body().string()).contains("\"code\":\"upstream_error\"");
    }
    assertThat(supervisor.acquisitions()).isEqualTo(1);
    assertThat(second.getRequestCount()).isZero();
    Await.until(EVENTUALLY, "every lease released", () -> supervisor.openLeases() == 0);
  }

  @Test
  void waitsForAStartInProgressForUpToTheAcquireWait() throws Exception {
    MockWebServer upstream = mockUpstream();
    upstream.enqueue(new MockResponse.Builder().body("{\"data\":[]}").build());
    LeasingSupervisor supervisor = LeasingSupervisor.starting();
    JdkHttpServer front =
        front(
            ShimmyProxy.builder()
                .supervisor(supervisor)
                .acquireWait(Duration.ofSeconds(30))
                .build());

    CompletableFuture<String> answer =
        CompletableFuture.supplyAsync(
            () -> {
              try (Response response =
                  client
                      .newCall(
                          new Request.Builder().url(front.uri("/v1/models").toString()).build())
                      .execute()) {
                return response.code() + " " + response.body().string();
              } catch (IOException e) {
                throw new RuntimeException(e);
              }
            },
            threads);
    Await.until(EVENTUALLY, "the request waits for the start", () -> supervisor.waiting() == 1);
    assertThat(answer).isNotDone();
    supervisor.ready(base(upstream));

    assertThat(answer.get(20, TimeUnit.SECONDS)).isEqualTo("200 {\"data\":[]}");
    assertThat(supervisor.waits()).containsExactly(Duration.ofSeconds(30));
  }

  @Test
  void refusesToBuildWithoutASupervisorOrWithANegativeWait() {
    assertThatThrownBy(() -> ShimmyProxy.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("supervisor");
    assertThatThrownBy(() -> ShimmyProxy.builder().acquireWait(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void turnsRedirectFollowingOffOnAGivenClient() throws Exception {
    MockWebServer upstream = mockUpstream();
    upstream.enqueue(
        new MockResponse.Builder().code(302).addHeader("Location", "/elsewhere").build());
    ShimmyProxy proxy =
        ShimmyProxy.builder()
            .supervisor(LeasingSupervisor.live(base(upstream)))
            .client(new OkHttpClient())
            .build();
    JdkHttpServer front = front(proxy);

    OkHttpClient noRedirects = client.newBuilder().followRedirects(false).build();
    try (Response response =
        noRedirects
            .newCall(new Request.Builder().url(front.uri("/old").toString()).build())
            .execute()) {
      assertThat(response.code()).isEqualTo(302);
      assertThat(response.header("Location")).isEqualTo("/elsewhere");
    }
    assertThat(upstream.getRequestCount()).isEqualTo(1);
  }

  // ---- fixtures

  private JdkHttpServer front(ShimmyProxy proxy) throws IOException {
    JdkHttpServer front = JdkHttpServer.start(proxy);
    servers.track(front);
    return front;
  }

  private MockWebServer mockUpstream() throws IOException {
    return servers.mock();
  }

  private HttpServer upstream(com.sun.net.httpserver.HttpHandler handler) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    ExecutorService executor = Executors.newCachedThreadPool();
    server.setExecutor(executor);
    server.createContext("/", handler);
    server.start();
    servers.track(
        () -> {
          server.stop(0);
          executor.shutdownNow();
        });
    return server;
  }

  /** A bare TCP upstream that runs {@code script} on each accepted connection. */
  private RawUpstream rawUpstream(RawUpstream.Script script) throws IOException {
    return servers.raw(script);
  }

  private static URI base(MockWebServer server) {
    return TestServers.base(server);
  }

  private static URI base(HttpServer server) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private static URI base(RawUpstream server) {
    return server.uri();
  }

  private static URI deadUrl() throws IOException {
    return RawUpstream.deadUrl();
  }

  private static void readHead(InputStream in) throws IOException {
    RawUpstream.readHead(in);
  }

  private static String rawExchange(int port, String request) throws IOException {
    return RawUpstream.exchange(port, request);
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
}
