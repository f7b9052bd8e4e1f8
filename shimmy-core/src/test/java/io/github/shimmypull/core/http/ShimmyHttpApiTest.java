package io.github.shimmypull.core.http;

import static io.github.shimmypull.core.doubles.Fixture.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.doubles.Fixture;
import io.github.shimmypull.core.doubles.JdkHttpServer;
import io.github.shimmypull.core.doubles.RecordingProxy;
import io.github.shimmypull.core.doubles.ScriptedPuller;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.testkit.Await;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ShimmyHttpApiTest {

  private static final String TOKEN = "s3cret-admin-token";
  private static final String TINY = "{\"model\":\"acme/tiny:Q4_K_M\"}";

  @TempDir Path modelDir;
  Fixture fx;
  PullCoordinator coordinator;
  RecordingProxy proxy = new RecordingProxy();
  JdkHttpServer server;
  HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeEach
  void setUp() throws IOException {
    fx = new Fixture(modelDir);
    coordinator = fx.coordinator();
    serve(null);
  }

  @AfterEach
  void tearDown() {
    server.close();
    fx.close();
  }

  private void serve(@Nullable String adminToken) throws IOException {
    serve(adminToken, ShimmyHttpApi.DEFAULT_MAX_BODY_BYTES);
  }

  private void serve(@Nullable String adminToken, long maxBodyBytes) throws IOException {
    if (server != null) {
      server.close();
    }
    server =
        JdkHttpServer.start(
            ShimmyHttpApi.builder()
                .coordinator(coordinator)
                .proxy(proxy)
                .adminToken(adminToken)
                .maxBodyBytes(maxBodyBytes)
                .serviceVersion("1.2.3")
                .metrics(() -> "# TYPE shimmy_pulls_total counter\nshimmy_pulls_total 3.0\n")
                .build());
  }

  private HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(server.uri(pathAndQuery)).timeout(Duration.ofSeconds(60));
  }

  private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return client.send(request, BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String json, String... headers) throws Exception {
    HttpRequest.Builder b =
        request(path)
            .header("Content-Type", "application/json")
            .POST(BodyPublishers.ofString(json));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b.build());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(request(path).GET().build());
  }

  private HttpResponse<String> delete(String path, String... headers) throws Exception {
    HttpRequest.Builder b = request(path).DELETE();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b.build());
  }

  private static Map<String, Object> json(String text) {
    return Json.readObject(text);
  }

  private static Map<String, Object> json(HttpResponse<String> response) {
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    return json(response.body());
  }

  private static void assertError(HttpResponse<String> response, int status, String code) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(json(response)).containsEntry("code", code).containsKey("error");
  }

  // ---- streaming -----------------------------------------------------------------------

  @Test
  void streamingPullWritesOneJsonLinePerEventAndFlushesEachAsItHappens() throws Exception {
    fx.puller.holdDownloads();

    HttpResponse<Stream<String>> response =
        client.send(
            request("/v1/api/pull")
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(TINY))
                .build(),
            BodyHandlers.ofLines());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
    Iterator<String> lines = response.body().iterator();
    List<Map<String, Object>> early =
        List.of(json(lines.next()), json(lines.next()), json(lines.next()));
    assertThat(early)
        .extracting(m -> m.get("status"))
        .containsExactly("starting", "resolving", "downloading");
    assertThat(early.get(2))
        .containsEntry("file", "tiny-Q4_K_M.gguf")
        .containsEntry("total", ScriptedPuller.FILE_SIZE)
        .containsEntry("completed", ScriptedPuller.FILE_SIZE / 2);
    assertThat(coordinator.current()).isPresent();

    fx.puller.release();
    List<Map<String, Object>> rest = new ArrayList<>();
    lines.forEachRemaining(l -> rest.add(json(l)));

    assertThat(rest)
        .extracting(m -> m.get("status"))
        .containsExactly("downloading", "verifying", "discovering", "restarting", "complete");
    Map<String, Object> complete = rest.get(rest.size() - 1);
    assertThat(new ArrayList<>(complete.keySet()))
        .startsWith(
            "status", "model_id", "file", "files", "size_mb", "sha256", "revision", "discovered");
    assertThat(complete)
        .containsEntry("model_id", "tiny-q4-k-m")
        .containsEntry("file", "tiny-Q4_K_M.gguf")
        .containsEntry("files", List.of("tiny-Q4_K_M.gguf"))
        .containsEntry("revision", ScriptedPuller.COMMIT)
        .containsEntry("discovered", true);
    assertThat(fx.supervisor.state().models()).contains("tiny-q4-k-m");
  }

  @Test
  void clientThatGoesAwayDoesNotCancelThePull() throws Exception {
    fx.puller.holdDownloads();
    HttpResponse<Stream<String>> response =
        client.send(
            request("/v1/api/pull")
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(TINY))
                .build(),
            BodyHandlers.ofLines());
    Stream<String> lines = response.body();
    assertThat(json(lines.iterator().next())).containsEntry("status", "starting");
    fx.puller.awaitHeld();

    lines.close();
    fx.puller.release();

    var job =
        coordinator.recent().isEmpty()
            ? coordinator.current().orElseThrow()
            : coordinator.recent().get(0);
    assertThat(job.await(Duration.ofSeconds(30)).modelId()).isEqualTo("tiny-q4-k-m");
    assertThat(fx.supervisor.state().models()).contains("tiny-q4-k-m");
  }

  @Test
  void errorAfterTheStreamStartedIsTheLastLineWithCodeAndReason() throws Exception {
    fx.supervisor.failRefreshes(
        new SupervisorException(
            SupervisorException.Reason.EXITED,
            "shimmy exited",
            1,
            List.of("error: bad gguf"),
            null));

    HttpResponse<String> response = post("/v1/api/pull", TINY);

    assertThat(response.statusCode()).isEqualTo(200);
    List<String> lines = response.body().lines().toList();
    Map<String, Object> last = json(lines.get(lines.size() - 1));
    assertThat(new ArrayList<>(last.keySet())).containsExactly("status", "code", "error");
    assertThat(last).containsEntry("status", "error").containsEntry("code", "backend_failed");
    assertThat((String) last.get("error")).contains("exit code 1").contains("error: bad gguf");
  }

  @Test
  void pullWithStreamFalseAnswersOneCompleteObject() throws Exception {
    HttpResponse<String> response =
        post("/v1/api/pull", "{\"model\":\"acme/tiny:Q4_K_M\",\"stream\":false}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response))
        .containsEntry("status", "complete")
        .containsEntry("model_id", "tiny-q4-k-m")
        .containsEntry("discovered", true);
    assertThat(response.body().lines()).hasSize(1);
  }

  @Test
  void pullWithStreamFalseAnswersTheStatusOfALaterFailure() throws Exception {
    fx.supervisor.failRefreshes(
        new SupervisorException(SupervisorException.Reason.READY_TIMEOUT, "not ready in 5s"));

    HttpResponse<String> response =
        post("/v1/api/pull", "{\"model\":\"acme/tiny:Q4_K_M\",\"stream\":false}");

    assertError(response, 503, "backend_failed");
    assertThat(json(response).get("error").toString()).contains("not ready in 5s");
  }

  @Test
  void secondClientForTheSameModelAttachesAndBothReceiveEveryEvent() throws Exception {
    fx.puller.holdDownloads();
    HttpRequest pull =
        request("/v1/api/pull")
            .header("Content-Type", "application/json")
            .POST(BodyPublishers.ofString(TINY))
            .build();

    CompletableFuture<HttpResponse<String>> first = client.sendAsync(pull, BodyHandlers.ofString());
    fx.puller.awaitHeld();
    CompletableFuture<HttpResponse<Stream<String>>> second =
        client.sendAsync(pull, BodyHandlers.ofLines());
    Await.until(
        "the second client attached",
        () -> fx.puller.prepareCalls() == 1 && coordinator.current().isPresent());
    // its head arrives once it is attached: the API answers 200 only after subscribing to the job
    HttpResponse<Stream<String>> attached = second.get(30, TimeUnit.SECONDS);
    fx.puller.release();

    List<String> a = statuses(first.get().body());
    List<String> b = statuses(attached.body().collect(Collectors.joining("\n")));
    assertThat(a)
        .containsExactly(
            "starting",
            "resolving",
            "downloading",
            "downloading",
            "verifying",
            "discovering",
            "restarting",
            "complete");
    assertThat(b).isEqualTo(a);
    assertThat(fx.puller.pullCalls()).isEqualTo(1);
  }

  private static List<String> statuses(String ndjson) {
    return ndjson.lines().map(l -> (String) json(l).get("status")).toList();
  }

  // ---- checks before streaming ---------------------------------------------------------

  @Test
  void readsTheRestOfASmallBodyAfterAnEarly413SoTheConnectionEndsWithoutAReset() throws Exception {
    ShimmyHttpApi api = ShimmyHttpApi.builder().coordinator(coordinator).proxy(proxy).build();
    AtomicLong leftUnread = new AtomicLong(-1);
    server.close();
    server =
        JdkHttpServer.start(
            exchange -> {
              CountingBody counting = new CountingBody(exchange);
              api.handle(counting);
              leftUnread.set(
                  Long.parseLong(exchange.requestHeader("Content-Length")) - counting.read);
            });
    String oversize = "{\"model\":\"" + "x".repeat(70 * 1024) + "\"}";

    assertError(post("/v1/api/pull", oversize), 413, "payload_too_large");
    assertThat(leftUnread.get()).as("bytes the API left unread").isZero();
  }

  /** Counts the request body bytes the handler read. */
  private static final class CountingBody extends ForwardingHttpExchange {
    long read;

    CountingBody(HttpExchange delegate) {
      super(delegate);
    }

    @Override
    public InputStream requestBody() throws IOException {
      return new FilterInputStream(super.requestBody()) {
        @Override
        public int read() throws IOException {
          int b = super.read();
          read += b < 0 ? 0 : 1;
          return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
          int n = super.read(buffer, offset, length);
          read += Math.max(0, n);
          return n;
        }
      };
    }
  }

  @Test
  void checksHappenInTheDocumentedOrder() throws Exception {
    serve(TOKEN);
    String bearer = "Bearer " + TOKEN;
    String oversize = "{\"model\":\"" + "x".repeat(70 * 1024) + "\"}";
    fx.puller.failPrepare(
        "acme/missing", new PullException(Reason.NOT_FOUND, "repository acme/missing not found"));

    assertError(
        send(
            request("/v1/api/pull")
                .header("Content-Type", "text/plain")
                .POST(BodyPublishers.ofString(oversize))
                .build()),
        401,
        "unauthorized");
    assertError(
        send(
            request("/v1/api/pull")
                .header("Authorization", bearer)
                .header("Content-Type", "text/plain")
                .POST(BodyPublishers.ofString(oversize))
                .build()),
        415,
        "unsupported_media_type");
    assertError(post("/v1/api/pull", oversize, "Authorization", bearer), 413, "payload_too_large");
    assertError(
        post("/v1/api/pull", "{\"model\":", "Authorization", bearer), 400, "invalid_request");

    fx.puller.holdDownloads();
    CompletableFuture<HttpResponse<String>> running =
        client.sendAsync(
            request("/v1/api/pull")
                .header("Authorization", bearer)
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(TINY))
                .build(),
            BodyHandlers.ofString());
    fx.puller.awaitHeld();
    assertError(
        post("/v1/api/pull", "{\"model\":\"acme/missing:Q4_K_M\"}", "Authorization", bearer),
        409,
        "pull_in_progress");
    fx.puller.release();
    assertThat(running.get().statusCode()).isEqualTo(200);

    assertError(
        post("/v1/api/pull", "{\"model\":\"acme/missing:Q4_K_M\"}", "Authorization", bearer),
        404,
        "not_found");
    assertThat(fx.puller.prepareCalls()).isEqualTo(2);
  }

  static Stream<Arguments> badBodies() {
    return Stream.of(
        Arguments.of("nope", "not valid JSON"),
        Arguments.of("[1,2]", "must be a JSON object"),
        Arguments.of("{}", "'model' is required"),
        Arguments.of("{\"model\":7}", "'model' must be a string"),
        Arguments.of("{\"model\":\"acme/tiny\",\"extra\":1}", "unknown field 'extra'"),
        Arguments.of(
            "{\"model\":\"acme/tiny:Q4_K_M\",\"stream\":\"yes\"}",
            "'stream' must be true or false"),
        Arguments.of(
            "{\"model\":\"acme/tiny:Q4_K_M\",\"force\":1}", "'force' must be true or false"),
        Arguments.of("{\"model\":\"acme/tiny:Q4_K_M\",\"model\":\"acme/other\"}", "uplicate"),
        Arguments.of("{\"model\":\"../../etc\"}", "repository id"),
        Arguments.of("{\"model\":\"acme/tiny\",\"filename\":\"../evil.gguf\"}", "'..' segments"),
        Arguments.of(
            "{\"model\":\"acme/tiny\",\"filename\":\"Q4/../../evil.gguf\"}", "'..' segments"),
        Arguments.of("{\"model\":\"acme/tiny\",\"filename\":\"/etc/evil.gguf\"}", "leading '/'"),
        Arguments.of(
            "{\"model\":\"acme/tiny\",\"filename\":\"dir//x.gguf\"}", "empty path segment"),
        Arguments.of("{\"model\":\"acme/tiny\",\"filename\":\"dir\\\\x.gguf\"}", "backslash"),
        Arguments.of("{\"model\":\"acme/tiny\",\"filename\":\"notes.txt\"}", "*.gguf"),
        Arguments.of("{\"model\":\"acme/tiny:Q4_K_M\",\"revision\":\"../main\"}", "revision"));
  }

  @ParameterizedTest
  @MethodSource("badBodies")
  void badRequestBodiesAnswer400WithAClearMessage(String body, String message) throws Exception {
    HttpResponse<String> response = post("/v1/api/pull", body);

    assertError(response, 400, "invalid_request");
    assertThat(json(response).get("error").toString()).contains(message);
    assertThat(fx.puller.prepareCalls()).isZero();
    assertThat(modelDir.getParent().resolve("evil.gguf")).doesNotExist();
  }

  @Test
  void oversizeBodyIsRejectedWhileReadingEvenWithoutContentLength() throws Exception {
    byte[] body = ("{\"model\":\"" + "x".repeat(70 * 1024) + "\"}").getBytes();
    HttpRequest chunked =
        request("/v1/api/pull")
            .header("Content-Type", "application/json")
            .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
            .build();

    HttpResponse<String> response = send(chunked);

    assertError(response, 413, "payload_too_large");
  }

  @Test
  void aProxiedBodyDeclaredOverTheBodyLimitIs413BeforeTheProxyRuns() throws Exception {
    serve(null, 1000);

    HttpResponse<String> over = post("/v1/chat/completions", "x".repeat(1001));

    assertError(over, 413, "payload_too_large");
    assertThat(proxy.path).isNull();
    assertThat(post("/v1/chat/completions", "x".repeat(1000)).body())
        .isEqualTo("{\"proxied\":true}");
    assertThat(proxy.body).hasSize(1000);
  }

  @Test
  void aChunkedProxiedBodyIsCutAtTheBodyLimitWith413() throws Exception {
    serve(null, 1000);
    byte[] chunk = "x".repeat(500).getBytes(StandardCharsets.UTF_8);
    HttpRequest chunked =
        request("/v1/chat/completions")
            .POST(
                BodyPublishers.ofInputStream(
                    () ->
                        new SequenceInputStream(
                            Collections.enumeration(
                                List.of(
                                    new ByteArrayInputStream(chunk),
                                    new ByteArrayInputStream(chunk),
                                    new ByteArrayInputStream(chunk))))))
            .build();

    HttpResponse<String> response = send(chunked);

    assertError(response, 413, "payload_too_large");
    assertThat(proxy.body).isNull();
  }

  @Test
  void nonJsonContentTypeIs415() throws Exception {
    HttpResponse<String> response =
        send(
            request("/v1/api/pull")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(BodyPublishers.ofString("model=acme/tiny"))
                .build());

    assertError(response, 415, "unsupported_media_type");
  }

  @Test
  void conflictNamesTheRunningPullAndItsProgress() throws Exception {
    fx.puller.holdDownloads();
    coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    HttpResponse<String> response = post("/v1/api/pull", "{\"model\":\"acme/other:Q8_0\"}");

    assertError(response, 409, "pull_in_progress");
    @SuppressWarnings("unchecked")
    Map<String, Object> running = (Map<String, Object>) json(response).get("running");
    assertThat(running)
        .containsEntry("model", "acme/tiny:Q4_K_M")
        .containsEntry("phase", "downloading")
        .containsEntry("completed", ScriptedPuller.FILE_SIZE / 2)
        .containsEntry("total", ScriptedPuller.FILE_SIZE);
  }

  static Stream<Arguments> resolutionFailures() {
    return Stream.of(
        Arguments.of(Reason.GATED, 403, "gated_repo"),
        Arguments.of(Reason.NOT_FOUND, 404, "not_found"),
        Arguments.of(Reason.UPSTREAM, 502, "upstream_error"),
        Arguments.of(Reason.INSUFFICIENT_STORAGE, 507, "insufficient_storage"));
  }

  @ParameterizedTest
  @MethodSource("resolutionFailures")
  void resolutionFailuresAnswerTheirStatusBeforeAnyStream(Reason reason, int status, String code)
      throws Exception {
    fx.puller.failPrepare("acme/tiny", new PullException(reason, "failed: " + code));

    HttpResponse<String> response = post("/v1/api/pull", TINY);

    assertError(response, status, code);
    assertThat(coordinator.current()).isEmpty();
    HttpResponse<String> jobs = get("/v1/api/pull");
    assertThat(jobs.statusCode()).as("the failed job is listed: " + jobs.body()).isEqualTo(200);
    assertThat(json(jobs).get("recent"))
        .asString()
        .contains("state=failed")
        .contains("model_id=null")
        .contains(code);
  }

  // ---- jobs, cancel, models ------------------------------------------------------------

  @Test
  void pullStatusShowsTheRunningJobAndThenTheRecentOnes() throws Exception {
    fx.puller.holdDownloads();
    var job = coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    Map<String, Object> during = json(get("/v1/api/pull"));
    assertThat(during.get("current"))
        .asString()
        .contains("id=" + job.id())
        .contains("phase=downloading")
        .contains("state=running");

    fx.puller.release();
    job.await(Duration.ofSeconds(30));
    Map<String, Object> after = json(get("/v1/api/pull"));
    assertThat(after.get("current")).isNull();
    assertThat(after.get("recent"))
        .asString()
        .contains("id=" + job.id())
        .contains("state=complete")
        .contains("model_id=tiny-q4-k-m");
  }

  @Test
  void cancelWithDiscardStopsThePullAndDeletesThePartial() throws Exception {
    fx.puller.holdDownloads();
    coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    HttpResponse<String> response = delete("/v1/api/pull?discard=true");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response)).containsEntry("cancelled", true).containsEntry("discard", true);
    assertThat(fx.puller.partial(ref("acme/tiny"))).doesNotExist();
    assertThat(coordinator.current()).isEmpty();
  }

  @Test
  void cancelWithoutDiscardKeepsThePartial() throws Exception {
    fx.puller.holdDownloads();
    coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    assertThat(delete("/v1/api/pull").statusCode()).isEqualTo(200);

    assertThat(fx.puller.partial(ref("acme/tiny"))).exists();
  }

  @Test
  void cancelWithNothingRunningIs404() throws Exception {
    assertError(delete("/v1/api/pull"), 404, "not_found");
  }

  @Test
  void listsModelsAndDeletesOneThenStopsOnlyItsInstance() throws Exception {
    Files.write(modelDir.resolve("alpha.gguf"), new byte[10]);
    Files.write(modelDir.resolve("Beta_Model.gguf"), new byte[20]);
    fx.supervisor.serving(List.of("alpha", "beta-model"));

    assertThat(get("/v1/api/models").body())
        .contains("\"id\":\"alpha\"")
        .contains("\"id\":\"beta-model\"")
        .contains("\"file\":\"Beta_Model.gguf\"");

    HttpResponse<String> deleted = delete("/v1/api/models/beta%2Dmodel");
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
    assertThat(deleted.body()).contains("\"file\":\"Beta_Model.gguf\"");
    assertThat(modelDir.resolve("Beta_Model.gguf")).doesNotExist();
    assertThat(fx.supervisor.refreshes()).containsExactly(List.of());
    assertThat(fx.supervisor.running()).containsExactly("alpha");
    assertThat(json(deleted)).containsEntry("models", List.of("alpha"));
  }

  @Test
  void deleteOfAnUnknownModelIs404AndOfAPathIs400() throws Exception {
    Files.write(modelDir.getParent().resolve("outside.gguf"), new byte[1]);
    try {
      assertError(delete("/v1/api/models/nope"), 404, "not_found");
      assertError(delete("/v1/api/models/..%2Foutside"), 400, "invalid_request");
      assertError(delete("/v1/api/models/%2E%2E"), 400, "invalid_request");
      assertError(delete("/v1/api/models/a%5Cb"), 400, "invalid_request");
      assertThat(modelDir.getParent().resolve("outside.gguf")).exists();
      assertThat(fx.supervisor.refreshes()).isEmpty();
    } finally {
      Files.delete(modelDir.getParent().resolve("outside.gguf"));
    }
  }

  @Test
  void adminTokenIsRequiredOnMutatingEndpointsOnly() throws Exception {
    serve(TOKEN);

    HttpResponse<String> missing = post("/v1/api/pull", TINY);
    assertError(missing, 401, "unauthorized");
    assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertError(post("/v1/api/pull", TINY, "Authorization", "Bearer wrong"), 401, "unauthorized");
    assertError(
        post("/v1/api/pull", TINY, "Authorization", "Bearer " + TOKEN + "x"), 401, "unauthorized");
    assertError(delete("/v1/api/pull"), 401, "unauthorized");
    assertError(delete("/v1/api/models/alpha"), 401, "unauthorized");
    assertThat(fx.puller.prepareCalls()).isZero();

    assertThat(get("/v1/api/pull").statusCode()).isEqualTo(200);
    assertThat(get("/v1/api/models").statusCode()).isEqualTo(200);
    HttpResponse<String> accepted = post("/v1/api/pull", TINY, "Authorization", "Bearer " + TOKEN);
    assertThat(accepted.statusCode()).isEqualTo(200);
    assertThat(statuses(accepted.body())).last().isEqualTo("complete");
  }

  // ---- other routes --------------------------------------------------------------------

  @Test
  void generateAliasGoesToTheProxyWhichRewritesIt() throws Exception {
    HttpResponse<String> response = post("/v1/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(proxy.path).isEqualTo("/v1/generate");
    assertThat(proxy.method).isEqualTo("POST");
  }

  @Test
  void modelListingsAreAnsweredFromDiscoveryWhileNothingRuns() throws Exception {
    // /api/tags, Ollama's listing of the same directory, is OllamaApi's (OllamaApiTest).
    fx.supervisor.serving(List.of());
    assertThat(json(get("/v1/models")))
        .containsEntry("object", "list")
        .containsEntry("data", List.of());

    fx.supervisor.serving(List.of("beta", "alpha")).inState(BackendStatus.IDLE, null);
    HttpResponse<String> models = get("/v1/models");
    assertThat(models.statusCode()).isEqualTo(200);
    assertThat(models.body())
        .matches(
            "\\{\"object\":\"list\",\"data\":\\[\\{\"id\":\"alpha\",\"object\":\"model\",\"created\":\\d+,\"owned_by\":\"shimmy\"},"
                + "\\{\"id\":\"beta\",\"object\":\"model\",\"created\":\\d+,\"owned_by\":\"shimmy\"}]}");
    assertThat(proxy.path).isNull();
  }

  @Test
  void instancesAreListedLoadedAndUnloadedBehindTheAdminToken() throws Exception {
    serve(TOKEN);
    fx.supervisor.serving(List.of("alpha", "beta"));
    String bearer = "Bearer " + TOKEN;

    assertThat(get("/v1/api/instances").body())
        .isEqualTo("{\"instances\":[],\"models\":[\"alpha\",\"beta\"]}");
    assertError(post("/v1/api/instances/alpha", ""), 401, "unauthorized");
    assertError(send(request("/v1/api/instances/alpha").DELETE().build()), 401, "unauthorized");
    assertError(post("/api/models/alpha/load", ""), 401, "unauthorized");
    assertThat(fx.supervisor.loadsAndUnloads()).isEmpty();

    HttpResponse<String> loaded = post("/v1/api/instances/ALPHA", "", "Authorization", bearer);
    assertThat(loaded.statusCode()).isEqualTo(200);
    assertThat(loaded.body())
        .startsWith(
            "{\"loaded\":true,\"instance\":{\"model\":\"alpha\",\"state\":\"ready\",\"pid\":4242,\"port\":41000,"
                + "\"started\":\"1970-01-01T00:00:00Z\",\"last_used\":null,\"in_flight\":0,\"expires\":null");
    assertThat(get("/v1/api/instances").body()).contains("\"model\":\"alpha\"");
    assertThat(json(get("/v1/health"))).extractingByKey("instances").asList().hasSize(1);

    HttpResponse<String> unloaded =
        send(request("/v1/api/instances/alpha").header("Authorization", bearer).DELETE().build());
    assertThat(unloaded.body()).isEqualTo("{\"model\":\"alpha\",\"unloaded\":true}");
    assertError(
        post("/v1/api/instances/gamma", "", "Authorization", bearer), 404, "model_not_found");

    assertThat(post("/api/models/beta/load", "", "Authorization", bearer).body())
        .isEqualTo("{\"message\":\"Model beta loaded\",\"status\":\"loaded\"}");
    assertThat(get("/api/models/beta/status").body())
        .isEqualTo("{\"loaded\":true,\"model\":\"beta\",\"status\":\"ready\"}");
    assertThat(post("/api/models/beta/unload", "", "Authorization", bearer).body())
        .isEqualTo("{\"message\":\"Model beta unloaded\",\"status\":\"unloaded\"}");
    assertThat(fx.supervisor.loadsAndUnloads())
        .containsExactly("load alpha", "load beta", "unload alpha", "unload beta");
    assertThat(proxy.path).isNull();
  }

  @Test
  void otherRoutesGoToTheProxyAndItsMissingBackendIs503WithRetryAfter() throws Exception {
    assertThat(post("/v1/chat/completions", "{}").body()).isEqualTo("{\"proxied\":true}");
    assertThat(proxy.path).isEqualTo("/v1/chat/completions");

    proxy.failWith(
        new SupervisorException(SupervisorException.Reason.NO_BACKEND, "no live Shimmy instance"));
    HttpResponse<String> response = post("/v1/chat/completions", "{}");
    assertError(response, 503, "backend_unavailable");
    assertThat(response.headers().firstValue("Retry-After"))
        .hasValue(ErrorResponses.RETRY_AFTER_SECONDS);
  }

  @Test
  void unknownApiRouteIs404JsonAndAWrongMethodIs405Json() throws Exception {
    assertError(get("/v1/api/nope"), 404, "not_found");
    HttpResponse<String> wrong =
        send(request("/v1/api/models").PUT(BodyPublishers.ofString("{}")).build());
    assertError(wrong, 405, "method_not_allowed");
    assertThat(wrong.headers().firstValue("Allow")).hasValue("GET");
    assertError(get("/v1/generate"), 405, "method_not_allowed");
    assertThat(proxy.path).isNull();
  }

  @Test
  void healthIsOkWhileIdleAndUnavailableWhenTheBackendFailedForGood() throws Exception {
    fx.supervisor.serving(List.of());
    HttpResponse<String> idle = get("/v1/health");
    assertThat(idle.statusCode()).isEqualTo(200);
    Map<String, Object> body = json(idle);
    assertThat(new ArrayList<>(body.keySet()))
        .containsExactly("status", "backend", "models", "model_dir", "pull", "instances");
    assertThat(body)
        .containsEntry("status", "ok")
        .containsEntry("models", List.of())
        .containsEntry("pull", null)
        .containsEntry("instances", List.of());
    assertThat(body.get("backend")).asString().contains("state=idle").contains("restarts=0");

    fx.supervisor.inState(BackendStatus.FAILED, "crash loop: 5 exits in 60s");
    HttpResponse<String> failed = get("/v1/health");
    assertThat(failed.statusCode()).isEqualTo(503);
    assertThat(json(failed)).containsEntry("status", "unavailable");
    assertThat(json(failed).get("backend"))
        .asString()
        .contains("state=failed")
        .contains("crash loop")
        .contains("last_exit=1");
  }

  @Test
  void healthIsUnavailableAndPullsAreRefusedOnceTheServiceStops() throws Exception {
    fx.supervisor.serving(List.of("tiny"));
    coordinator.close();

    HttpResponse<String> health = get("/v1/health");
    assertThat(health.statusCode()).isEqualTo(503);
    assertThat(json(health)).containsEntry("status", "unavailable");
    assertThat(post("/v1/api/pull", TINY).statusCode()).isEqualTo(503);
    assertThat(fx.puller.prepareCalls()).isZero();
  }

  @Test
  void healthShowsTheRunningPull() throws Exception {
    fx.puller.holdDownloads();
    coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    assertThat(json(get("/v1/health")).get("pull")).asString().contains("model=acme/tiny:Q4_K_M");
  }

  @Test
  void serviceInfoNamesVersionBackendAndModelDirectory() throws Exception {
    Map<String, Object> info = json(get("/"));

    assertThat(info)
        .containsEntry("name", "shimmy-pull")
        .containsEntry("version", "1.2.3")
        .containsEntry("model_dir", modelDir.toAbsolutePath().normalize().toString());
    assertThat(info.get("endpoints")).asString().contains("POST /v1/api/pull");
  }

  @Test
  void metricsEndpointServesPrometheusTextWhenEnabledAnd404Otherwise() throws Exception {
    HttpResponse<String> enabled = get("/v1/api/metrics");
    assertThat(enabled.statusCode()).isEqualTo(200);
    assertThat(enabled.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    assertThat(enabled.body()).contains("shimmy_pulls_total 3.0");

    server.close();
    server =
        JdkHttpServer.start(ShimmyHttpApi.builder().coordinator(coordinator).proxy(proxy).build());
    assertError(get("/v1/api/metrics"), 404, "not_found");
  }

  @Test
  void modelIdsArePercentDecodedAndMalformedEncodingIsRejected() {
    assertThat(ShimmyHttpApi.modelId("llama%2D3.q4+k")).isEqualTo("llama-3.q4+k");
    for (String malformed : List.of("%zz", "abc%2", "%")) {
      assertThatThrownBy(() -> ShimmyHttpApi.modelId(malformed))
          .isInstanceOfSatisfying(
              PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_REQUEST));
    }
  }
}
