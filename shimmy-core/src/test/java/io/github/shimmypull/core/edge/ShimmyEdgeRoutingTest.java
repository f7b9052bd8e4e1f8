package io.github.shimmypull.core.edge;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.doubles.JdkHttpServer;
import io.github.shimmypull.core.doubles.ModelSupervisor;
import io.github.shimmypull.core.doubles.TestServers;
import io.github.shimmypull.core.http.HttpHandler;
import io.github.shimmypull.core.proxy.ShimmyProxy;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.RawUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The edge in front of the application (a ShimmyProxy on the same supervisor and router), with one
 * upstream per model: ready instances are reached directly, everything else through the
 * application, and every request reaches the model it names.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShimmyEdgeRoutingTest {

  private static final MediaType JSON = MediaType.get("application/json");

  private final TestServers servers = new TestServers();
  private final Map<String, MockWebServer> upstreams = new TreeMap<>();
  private final AtomicInteger appRequests = new AtomicInteger();
  private final OkHttpClient client =
      new OkHttpClient.Builder()
          .readTimeout(Duration.ofSeconds(30))
          .retryOnConnectionFailure(false)
          .build();

  @AfterEach
  void tearDown() throws Exception {
    servers.close();
    client.connectionPool().evictAll();
  }

  @Test
  void aColdModelIsHandedToTheApplicationWhichStartsItThenItIsReachedDirectly() throws Exception {
    ModelSupervisor supervisor =
        new ModelSupervisor()
            .running("alpha", TestServers.base(upstream("alpha")))
            .cold("beta", TestServers.base(upstream("beta")));
    ShimmyEdge edge = edge(supervisor, ModelRouter.defaults());
    String body =
        "{\"messages\":["
            + "{\"role\":\"user\",\"content\":\"hello there\"},".repeat(200)
            + "{\"role\":\"user\",\"content\":\"x\"}],\"model\":\"beta\"}";

    try (Response response = post(edge, "/v1/chat/completions", body)) {
      assertThat(response.body().string()).isEqualTo("answer of beta to /v1/chat/completions");
    }
    assertThat(appRequests).hasValue(1);
    assertThat(supervisor.acquiredModels()).containsExactly("beta");
    assertThat(upstreams.get("beta").takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo(body.substring(0, body.length() - 1) + ",\"stream\":false}");

    try (Response response = post(edge, "/v1/chat/completions", body)) {
      assertThat(response.body().string()).isEqualTo("answer of beta to /v1/chat/completions");
    }
    assertThat(appRequests).as("now ready: straight to it").hasValue(1);
    awaitLeasesReleased(supervisor);
  }

  @Test
  void aWebSocketGoesToTheInstanceOfTheOnlyModel() throws Exception {
    List<String> heads = new CopyOnWriteArrayList<>();
    RawUpstream solo =
        servers.raw(
            socket -> {
              InputStream in = socket.getInputStream();
              OutputStream out = socket.getOutputStream();
              heads.add(RawUpstream.readHead(in));
              out.write(
                  ("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
                          + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nsolo!")
                      .getBytes(UTF_8));
              out.flush();
              in.read();
            });
    ModelSupervisor supervisor = new ModelSupervisor().running("solo", solo.uri());
    ShimmyEdge edge = edge(supervisor, ModelRouter.defaults());

    try (Socket socket = new Socket("127.0.0.1", edge.port())) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              ("GET /ws/generate HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                      + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                  .getBytes(UTF_8));
      assertThat(RawUpstream.readHead(socket.getInputStream())).startsWith("HTTP/1.1 101");
      assertThat(new String(socket.getInputStream().readNBytes(5), UTF_8)).isEqualTo("solo!");
    }
    assertThat(supervisor.triedModels()).containsExactly("solo");
    assertThat(heads).hasSize(1);
  }

  @Test
  void withSeveralModelsAWebSocketGoesToTheModelItsFirstFrameNamesStartingItWhenCold()
      throws Exception {
    List<byte[]> betaReceived = new CopyOnWriteArrayList<>();
    List<String> betaHeads = new CopyOnWriteArrayList<>();
    RawUpstream alpha = servers.raw(socket -> socket.getInputStream().read());
    RawUpstream beta =
        servers.raw(
            socket -> {
              InputStream in = socket.getInputStream();
              OutputStream out = socket.getOutputStream();
              betaHeads.add(RawUpstream.readHead(in));
              out.write(
                  ("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
                          + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
                      .getBytes(UTF_8));
              out.flush();
              betaReceived.add(in.readNBytes(FRAME.length));
              out.write("from beta".getBytes(UTF_8));
              out.flush();
              in.read();
            });
    ModelSupervisor supervisor =
        new ModelSupervisor().running("alpha", alpha.uri()).cold("beta", beta.uri());
    ShimmyEdge edge = edge(supervisor, ModelRouter.defaults());

    try (Socket socket = upgrade(edge)) {
      String head = RawUpstream.readHead(socket.getInputStream());
      assertThat(head)
          .startsWith("HTTP/1.1 101")
          .containsIgnoringCase("upgrade: websocket")
          .contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
      socket.getOutputStream().write(FRAME);
      assertThat(new String(socket.getInputStream().readNBytes(9), UTF_8)).isEqualTo("from beta");
      assertThat(supervisor.openLeases()).as("held while the tunnel is open").isEqualTo(1);
    }
    assertThat(betaReceived.get(0)).isEqualTo(FRAME);
    assertThat(betaHeads.get(0))
        .containsIgnoringCase("upgrade: websocket")
        .contains("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")
        .doesNotContainIgnoringCase("sec-websocket-extensions");
    assertThat(supervisor.acquiredModels()).containsExactly("beta");
    awaitLeasesReleased(supervisor);
  }

  @Test
  void aWebSocketWhoseFirstFrameNamesAnUnknownModelGetsAnErrorFrameAndStartsNothing()
      throws Exception {
    RawUpstream alpha = servers.raw(socket -> socket.getInputStream().read());
    RawUpstream beta = servers.raw(socket -> socket.getInputStream().read());
    ModelSupervisor supervisor =
        new ModelSupervisor().running("alpha", alpha.uri()).cold("beta", beta.uri());
    ShimmyEdge edge = edge(supervisor, ModelRouter.defaults());

    try (Socket socket = upgrade(edge)) {
      RawUpstream.readHead(socket.getInputStream());
      socket.getOutputStream().write(frame("{\"model\":\"delta\",\"prompt\":\"hi\"}"));
      byte[] answer = socket.getInputStream().readAllBytes();
      assertThat(answer[0] & 0xFF).as("a final text frame").isEqualTo(0x81);
      assertThat(new String(answer, 2, answer[1], UTF_8))
          .isEqualTo(
              "{\"error\":\"Model 'delta' not found. Available models: [\\\"alpha\\\", \\\"beta\\\"]\"}");
      assertThat(answer[2 + answer[1]] & 0xFF).as("then a close frame").isEqualTo(0x88);
    }
    assertThat(supervisor.acquiredModels()).isEmpty();
    assertThat(supervisor.triedModels()).isEmpty();
  }

  private static final byte[] FRAME = frame("{\"model\":\"beta\",\"prompt\":\"hi\"}");

  /** A masked client text frame. */
  private static byte[] frame(String text) {
    byte[] payload = text.getBytes(UTF_8);
    byte[] mask = {0x11, 0x22, 0x33, 0x44};
    byte[] frame = new byte[6 + payload.length];
    frame[0] = (byte) 0x81;
    frame[1] = (byte) (0x80 | payload.length);
    System.arraycopy(mask, 0, frame, 2, 4);
    for (int i = 0; i < payload.length; i++) {
      frame[6 + i] = (byte) (payload[i] ^ mask[i & 3]);
    }
    return frame;
  }

  private static Socket upgrade(ShimmyEdge edge) throws IOException {
    Socket socket = new Socket("127.0.0.1", edge.port());
    socket.setSoTimeout(10_000);
    socket
        .getOutputStream()
        .write(
            ("GET /ws/generate HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                    + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
                .getBytes(UTF_8));
    return socket;
  }

  private ShimmyEdge edge(ModelSupervisor supervisor, ModelRouter router) throws IOException {
    ShimmyProxy proxy = ShimmyProxy.builder().supervisor(supervisor).router(router).build();
    HttpHandler counted =
        exchange -> {
          appRequests.incrementAndGet();
          proxy.handle(exchange);
        };
    JdkHttpServer app = servers.track(JdkHttpServer.start(counted));
    return servers.track(
        ShimmyEdge.builder()
            .supervisor(supervisor)
            .router(router)
            .app(app.uri(""))
            .build()
            .start());
  }

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

  private Response post(ShimmyEdge edge, String path, String body) throws IOException {
    return client
        .newCall(
            new Request.Builder()
                .url(edge.url() + path)
                .post(RequestBody.create(body.getBytes(UTF_8), JSON))
                .build())
        .execute();
  }

  private static void awaitLeasesReleased(ModelSupervisor supervisor) {
    Await.until(Duration.ofSeconds(20), "every lease released", () -> supervisor.openLeases() == 0);
  }
}
