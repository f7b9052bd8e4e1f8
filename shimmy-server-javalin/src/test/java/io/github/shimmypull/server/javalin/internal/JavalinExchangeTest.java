package io.github.shimmypull.server.javalin.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.github.shimmypull.core.proxy.ShimmyProxy;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.server.javalin.support.FixedLeaseSupervisor;
import io.github.shimmypull.testkit.Await;
import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxy behind a real Javalin 7 server through {@link JavalinExchange}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JavalinExchangeTest {

  private final MockWebServer upstream = new MockWebServer();
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final OkHttpClient client =
      new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(30)).build();
  private Javalin app;
  private HttpServer streamingUpstream;
  private ServerSocket rawUpstream;

  @AfterEach
  void tearDown() {
    if (app != null) {
      app.stop();
    }
    if (streamingUpstream != null) {
      streamingUpstream.stop(0);
    }
    if (rawUpstream != null) {
      try {
        rawUpstream.close();
      } catch (IOException ignored) {
        // already closed
      }
    }
    upstream.close();
    threads.shutdownNow();
    client.connectionPool().evictAll();
    client.dispatcher().executorService().shutdown();
  }

  @Test
  void forwardsRequestAndResponseExactlyWithoutJavalinDefaults() throws Exception {
    upstream.start(InetAddress.getByName("127.0.0.1"), 0);
    upstream.enqueue(
        new MockResponse.Builder()
            .code(202)
            .removeHeader("Content-Type")
            .addHeader("X-Upstream", "1")
            .body("plain bytes")
            .build());
    startFront(URI.create("http://127.0.0.1:" + upstream.getPort()));

    Request request =
        new Request.Builder()
            .url(front("/v1/embeddings?a=1&b=%2F"))
            .header("X-Client", "c")
            .put(RequestBody.create("payload", MediaType.get("text/plain")))
            .build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(202);
      assertThat(response.header("X-Upstream")).isEqualTo("1");
      assertThat(response.header("Content-Type"))
          .as("no content type invented by Javalin")
          .isNull();
      assertThat(response.body().string()).isEqualTo("plain bytes");
    }
    RecordedRequest recorded = upstream.takeRequest(5, TimeUnit.SECONDS);
    assertThat(recorded.getRequestLine()).isEqualTo("PUT /v1/embeddings?a=1&b=%2F HTTP/1.1");
    assertThat(recorded.getHeaders().get("X-Client")).isEqualTo("c");
    assertThat(recorded.getHeaders().get("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(recorded.getBody().utf8()).isEqualTo("payload");
  }

  @Test
  void streamsBodiesLargerThanJavalinsRequestLimitAndNeverCompressesThem() throws Exception {
    upstream.start(InetAddress.getByName("127.0.0.1"), 0);
    String big = "x".repeat(3 * 1024 * 1024);
    upstream.enqueue(
        new MockResponse.Builder().addHeader("Content-Type", "application/json").body(big).build());
    startFront(URI.create("http://127.0.0.1:" + upstream.getPort()));

    Request request =
        new Request.Builder()
            .url(front("/v1/chat/completions"))
            .header("Accept-Encoding", "gzip")
            .post(RequestBody.create(big, MediaType.get("application/json")))
            .build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.header("Content-Encoding")).isNull();
      assertThat(response.body().string()).hasSize(big.length());
    }
    assertThat(upstream.takeRequest(5, TimeUnit.SECONDS).getBodySize()).isEqualTo(big.length());
  }

  @Test
  void flushesEachServerSentEventThroughJetty() throws Exception {
    CountDownLatch clientReadFirst = new CountDownLatch(1);
    streamingUpstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    streamingUpstream.setExecutor(threads);
    streamingUpstream.createContext(
        "/",
        jdk -> {
          jdk.getResponseHeaders().add("Content-Type", "text/event-stream");
          jdk.sendResponseHeaders(200, 0);
          OutputStream out = jdk.getResponseBody();
          out.write("data: first\n\n".getBytes(UTF_8));
          out.flush();
          try {
            clientReadFirst.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          out.write("data: second\n\n".getBytes(UTF_8));
          out.close();
          jdk.close();
        });
    streamingUpstream.start();
    startFront(URI.create("http://127.0.0.1:" + streamingUpstream.getAddress().getPort()));

    try (Response response =
        client
            .newCall(
                new Request.Builder()
                    .url(front("/v1/chat/completions"))
                    .header("Accept-Encoding", "gzip")
                    .post(
                        RequestBody.create("{\"stream\":true}", MediaType.get("application/json")))
                    .build())
            .execute()) {
      assertThat(response.headers("Content-Type")).containsExactly("text/event-stream");
      assertThat(response.headers("Date")).as("the upstream's Date only").hasSize(1);
      BufferedSource source = response.body().source();
      CompletableFuture<String> first =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return source.readUtf8LineStrict();
                } catch (IOException e) {
                  throw new RuntimeException(e);
                }
              },
              threads);
      assertThat(first.get(20, TimeUnit.SECONDS)).isEqualTo("data: first");
      clientReadFirst.countDown();
      InputStream rest = source.inputStream();
      assertThat(new String(rest.readAllBytes(), UTF_8)).isEqualTo("\ndata: second\n\n");
    }
  }

  @Test
  void breaksTheClientConnectionWhenTheUpstreamFailsMidStream() throws Exception {
    ServerSocket broken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    rawUpstream = broken;
    CountDownLatch clientHasTheHead = new CountDownLatch(1);
    threads.submit(
        () -> {
          try (Socket socket = broken.accept()) {
            InputStream in = socket.getInputStream();
            int matched = 0;
            while (matched < 4) {
              int b = in.read();
              if (b == -1) {
                return null;
              }
              matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            socket
                .getOutputStream()
                .write(
                    ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\nd\r\ndata: first\n\n\r\n")
                        .getBytes(UTF_8));
            socket.getOutputStream().flush();
            clientHasTheHead.await(
                20, TimeUnit.SECONDS); // then fail mid-stream, not before the head
            socket.setSoLinger(true, 0);
          }
          return null;
        });
    startFront(URI.create("http://127.0.0.1:" + broken.getLocalPort()));

    try (Response response =
        client
            .newCall(new Request.Builder().url(front("/v1/chat/completions")).build())
            .execute()) {
      assertThat(response.code()).isEqualTo(200);
      clientHasTheHead.countDown();
      assertThatThrownBy(() -> response.body().string())
          .as("a broken upstream must not look like a complete stream to the client")
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void releasesTheLeaseAndClosesTheUpstreamWhenTheClientGoesAwayMidStream() throws Exception {
    CountDownLatch upstreamWriteFailed = new CountDownLatch(1);
    streamingUpstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    streamingUpstream.setExecutor(threads);
    streamingUpstream.createContext(
        "/",
        jdk -> {
          jdk.getResponseHeaders().add("Content-Type", "text/event-stream");
          jdk.sendResponseHeaders(200, 0);
          OutputStream out = jdk.getResponseBody();
          try {
            while (true) { // until the front closes this connection: the write fails
              out.write("data: token\n\n".getBytes(UTF_8));
              out.flush();
            }
          } catch (IOException e) {
            upstreamWriteFailed.countDown();
            throw e;
          }
        });
    streamingUpstream.start();
    FixedLeaseSupervisor supervisor =
        new FixedLeaseSupervisor(
            URI.create("http://127.0.0.1:" + streamingUpstream.getAddress().getPort()));
    startFront(supervisor);

    try (Socket socket = new Socket("127.0.0.1", app.port())) {
      socket.getOutputStream().write("GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(UTF_8));
      InputStream in = socket.getInputStream();
      String seen = "";
      byte[] buffer = new byte[1024];
      while (!seen.contains("data: token")) {
        int read = in.read(buffer);
        assertThat(read).isPositive();
        seen += new String(buffer, 0, read, UTF_8);
      }
      assertThat(supervisor.openLeases()).isEqualTo(1);
    }

    Await.until(
        Duration.ofSeconds(20),
        "the lease released after the client left",
        () -> supervisor.openLeases() == 0);
    Await.until(Duration.ofSeconds(20), "the upstream connection closed", upstreamWriteFailed);
  }

  private void startFront(URI backend) {
    startFront(new FixedLeaseSupervisor(backend));
  }

  private void startFront(ShimmySupervisor supervisor) {
    ShimmyProxy proxy = ShimmyProxy.builder().supervisor(supervisor).build();
    app =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              for (HandlerType type : HandlerType.commonHttp()) {
                config.routes.addHttpHandler(type, "/*", ctx -> JavalinExchange.handle(ctx, proxy));
              }
            });
    app.start("127.0.0.1", 0);
  }

  private String front(String target) {
    return "http://127.0.0.1:" + app.port() + target;
  }
}
