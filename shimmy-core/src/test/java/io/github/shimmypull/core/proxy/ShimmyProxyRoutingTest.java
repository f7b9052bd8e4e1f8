package io.github.shimmypull.core.proxy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.doubles.JdkHttpServer;
import io.github.shimmypull.core.doubles.ModelSupervisor;
import io.github.shimmypull.core.doubles.TestServers;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The blocking proxy in front of one upstream per model: every request reaches the model it names.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShimmyProxyRoutingTest {

  private static final MediaType JSON = MediaType.get("application/json");

  private final TestServers servers = new TestServers();
  private final Map<String, MockWebServer> upstreams = new TreeMap<>();
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
  void theModelIsFoundAfterALongMessagesArrayAndTheBodyArrivesWhole() throws Exception {
    ModelSupervisor supervisor = threeModels();
    JdkHttpServer front = front(ShimmyProxy.builder().supervisor(supervisor).build());
    String messages = "{\"role\":\"user\",\"content\":\"" + "x".repeat(1000) + "\"},";
    String body =
        "{\"messages\":["
            + messages.repeat(40)
            + "{\"role\":\"user\",\"content\":\"y\"}],\"stream\":true,\"model\":\"gamma\"}";

    try (Response response = post(front, "/v1/chat/completions", body)) {
      assertThat(response.body().string()).isEqualTo("answer of gamma to /v1/chat/completions");
    }
    assertThat(upstreams.get("gamma").takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo(body);
  }

  @Test
  void aModelNamedPastThePrefixIsRefusedWith400() throws Exception {
    ModelSupervisor supervisor = threeModels();
    JdkHttpServer front =
        front(
            ShimmyProxy.builder()
                .supervisor(supervisor)
                .router(ModelRouter.builder().maxPrefixBytes(1024).build())
                .build());
    String body = "{\"prompt\":\"" + "x".repeat(4000) + "\",\"model\":\"alpha\"}";

    try (Response response = post(front, "/v1/completions", body)) {
      assertThat(response.code()).isEqualTo(400);
      assertThat(response.body().string())
          .contains("\"code\":\"model_not_in_prefix\"")
          .contains("\"type\":\"invalid_request_error\"");
    }
    assertThat(supervisor.acquiredModels()).isEmpty();
  }

  /** The default model and a missing model with several are in {@link ProxyContractTest}. */
  @Test
  void aRequestWithoutModelGoesToTheOnlyModel() throws Exception {
    MockWebServer only = upstream("solo");
    ModelSupervisor single = new ModelSupervisor().cold("solo", TestServers.base(only));
    JdkHttpServer singleFront = front(ShimmyProxy.builder().supervisor(single).build());
    try (Response response = post(singleFront, "/api/generate", "{\"prompt\":\"hi\"}")) {
      assertThat(response.body().string()).isEqualTo("answer of solo to /api/generate");
    }
    assertThat(only.takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"solo\",\"prompt\":\"hi\"}");
    assertThat(single.acquiredModels()).containsExactly("solo");
  }

  @Test
  void aModelNamedInAnotherCaseIsForwardedWithItsId() throws Exception {
    ModelSupervisor supervisor = threeModels();
    JdkHttpServer front = front(ShimmyProxy.builder().supervisor(supervisor).build());

    try (Response response =
        post(front, "/api/generate", "{\"model\":\"BETA\",\"prompt\":\"hi\"}")) {
      assertThat(response.body().string()).isEqualTo("answer of beta to /api/generate");
    }
    assertThat(upstreams.get("beta").takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo("{\"model\":\"beta\",\"prompt\":\"hi\"}");
  }

  @Test
  void aBodyLongerThanThePrefixGetsStreamFalseBeforeItsClosingBrace() throws Exception {
    ModelSupervisor supervisor = threeModels();
    JdkHttpServer front =
        front(
            ShimmyProxy.builder()
                .supervisor(supervisor)
                .router(ModelRouter.builder().maxPrefixBytes(1024).build())
                .build());
    String body =
        "{\"model\":\"alpha\",\"messages\":[{\"role\":\"user\",\"content\":\""
            + "x".repeat(100_000)
            + "\"}]}";
    String streamed =
        "{\"model\":\"alpha\",\"messages\":[],\"stream\":true,\"pad\":\""
            + "y".repeat(5000)
            + "\"}";

    post(front, "/v1/chat/completions", body).close();
    post(front, "/v1/chat/completions", streamed).close();

    MockWebServer alpha = upstreams.get("alpha");
    assertThat(alpha.takeRequest(5, TimeUnit.SECONDS).getBody().utf8())
        .isEqualTo(body.substring(0, body.length() - 1) + ",\"stream\":false}");
    RecordedRequest unchanged = alpha.takeRequest(5, TimeUnit.SECONDS);
    assertThat(unchanged.getBody().utf8()).isEqualTo(streamed);
    assertThat(unchanged.getHeaders().get("Content-Length"))
        .isEqualTo(Integer.toString(streamed.length()));
  }

  @Test
  void routedRequestsAreCountedByModel() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    JdkHttpServer front =
        front(ShimmyProxy.builder().supervisor(threeModels()).meterRegistry(meters).build());

    post(front, "/v1/completions", "{\"model\":\"beta\",\"prompt\":\"p\"}").close();
    post(front, "/v1/completions", "{\"model\":\"beta\",\"prompt\":\"p\"}").close();
    post(front, "/v1/completions", "{\"model\":\"gamma\",\"prompt\":\"p\"}").close();
    post(front, "/v1/completions", "{\"model\":\"delta\",\"prompt\":\"p\"}").close();

    assertThat(meters.counter("shimmy.proxy.model.requests", "model", "beta").count())
        .isEqualTo(2.0);
    assertThat(meters.counter("shimmy.proxy.model.requests", "model", "gamma").count())
        .isEqualTo(1.0);
    assertThat(meters.find("shimmy.proxy.model.requests").tag("model", "delta").counter()).isNull();
  }

  @Test
  void noRoomForTheModelsInstanceIs503OverloadedWithRetryAfter() throws Exception {
    ModelSupervisor supervisor =
        threeModels()
            .failing(
                "beta",
                new SupervisorException(
                    SupervisorException.Reason.OVERLOADED, "the wait queue is full (8)"));
    JdkHttpServer front = front(ShimmyProxy.builder().supervisor(supervisor).build());

    try (Response response =
        post(front, "/v1/chat/completions", "{\"model\":\"beta\",\"messages\":[]}")) {
      assertThat(response.code()).isEqualTo(503);
      assertThat(response.header("Retry-After")).isNotBlank();
      assertThat(response.body().string())
          .contains("\"code\":\"overloaded\"")
          .contains("beta")
          .contains("the wait queue is full");
    }
    assertThat(upstreams.get("beta").getRequestCount()).isZero();
  }

  private ModelSupervisor threeModels() throws IOException {
    ModelSupervisor supervisor = new ModelSupervisor();
    supervisor.running("alpha", TestServers.base(upstream("alpha")));
    supervisor.cold("beta", TestServers.base(upstream("beta")));
    supervisor.cold("gamma", TestServers.base(upstream("gamma")));
    return supervisor;
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

  private JdkHttpServer front(ShimmyProxy proxy) throws IOException {
    return servers.track(JdkHttpServer.start(proxy));
  }

  private Response post(JdkHttpServer front, String path, String body) throws IOException {
    return client
        .newCall(
            new Request.Builder()
                .url(front.uri(path).toString())
                .post(RequestBody.create(body.getBytes(UTF_8), JSON))
                .build())
        .execute();
  }
}
