package io.github.shimmypull.core.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.doubles.Fixture;
import io.github.shimmypull.core.doubles.JdkHttpServer;
import io.github.shimmypull.core.doubles.ModelInstances;
import io.github.shimmypull.core.doubles.RecordingProxy;
import io.github.shimmypull.core.doubles.ScriptedPuller;
import io.github.shimmypull.core.doubles.TestServers;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.pull.LocalModel;
import io.github.shimmypull.core.pull.LocalModels;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.GgufHeader;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ollama's API through ShimmyHttpApi, with the coordinator's doubles and a MockWebServer as Shimmy.
 */
class OllamaApiTest {

  private static final String TOKEN = "admin-s3cret";
  private static final String TINY = "hf.co/acme/tiny:Q4_K_M";
  private static final String TINY_ID = "tiny-q4-k-m";

  @TempDir Path modelDir;
  Fixture fx;
  PullCoordinator coordinator;
  ModelInstances instances;
  TestServers servers = new TestServers();
  MockWebServer shimmy;
  JdkHttpServer server;
  HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeEach
  void setUp() throws Exception {
    fx = new Fixture(modelDir);
    coordinator = fx.coordinator();
    instances = new ModelInstances(fx.supervisor);
    shimmy = servers.mock();
    instances.serve(TINY_ID, TestServers.base(shimmy));
    serve(null);
  }

  @AfterEach
  void tearDown() throws Exception {
    server.close();
    servers.close();
    fx.close();
  }

  private void serve(@Nullable String adminToken) throws Exception {
    if (server != null) {
      server.close();
    }
    server =
        JdkHttpServer.start(
            ShimmyHttpApi.builder()
                .coordinator(coordinator)
                .supervisor(instances)
                .proxy(new RecordingProxy())
                .adminToken(adminToken)
                .serviceVersion("9.8.7")
                .build());
  }

  private HttpResponse<String> send(
      String method, String path, @Nullable String json, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(server.uri(path))
            .timeout(Duration.ofSeconds(60))
            .method(method, json == null ? BodyPublishers.noBody() : BodyPublishers.ofString(json));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return client.send(b.build(), BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String json, String... headers) throws Exception {
    return send("POST", path, json, headers);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send("GET", path, null);
  }

  private static Map<String, Object> json(String text) {
    return Json.readObject(text);
  }

  private static List<Map<String, Object>> lines(HttpResponse<String> response) {
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
    return response.body().lines().map(OllamaApiTest::json).toList();
  }

  /**
   * The NDJSON lines of a stream that breaks off: the lines that arrived before the connection was
   * aborted, which must happen (a clean end would look like success to clients that wait for done).
   */
  private List<Map<String, Object>> linesUntilBrokenOff(String path, String json) throws Exception {
    // HttpURLConnection reads the socket in order: the JDK HttpClient's InputStream throws as soon
    // as the failure is signalled and drops the lines it had received but not yet handed out.
    java.net.HttpURLConnection connection =
        (java.net.HttpURLConnection) server.uri(path).toURL().openConnection();
    connection.setRequestMethod("POST");
    connection.setDoOutput(true);
    connection.setReadTimeout(60_000);
    try (java.io.OutputStream out = connection.getOutputStream()) {
      out.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    assertThat(connection.getHeaderField("Content-Type")).isEqualTo("application/x-ndjson");
    List<Map<String, Object>> lines = new java.util.ArrayList<>();
    boolean aborted = false;
    try (java.io.BufferedReader reader =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                connection.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        lines.add(json(line));
      }
    } catch (java.io.IOException e) {
      aborted = true;
    } finally {
      connection.disconnect();
    }
    assertThat(aborted)
        .as("the stream is aborted after its error line, not ended cleanly")
        .isTrue();
    return lines;
  }

  private static void assertError(HttpResponse<String> response, int status) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(json(response.body())).containsKey("error").doesNotContainKey("status");
  }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> tags() throws Exception {
    HttpResponse<String> response = get("/api/tags");
    assertThat(response.statusCode()).isEqualTo(200);
    return (List<Map<String, Object>>) json(response.body()).get("models");
  }

  private List<Object> tagNames() throws Exception {
    return tags().stream().map(m -> m.get("name")).toList();
  }

  private void pulled(String name) throws Exception {
    HttpResponse<String> response =
        post("/api/pull", "{\"model\":\"" + name + "\",\"stream\":false}");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response.body())).containsEntry("status", "success");
  }

  private static MockResponse sse(String... events) {
    StringBuilder body = new StringBuilder();
    for (String e : events) {
      body.append("data: ").append(e).append("\n\n");
    }
    return new MockResponse.Builder()
        .addHeader("Content-Type", "text/event-stream")
        .body(body.toString())
        .build();
  }

  private static String chunk(@Nullable String content, @Nullable String finish) {
    return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
        + (content == null ? "null" : "\"" + content + "\"")
        + ",\"role\":null},\"finish_reason\":"
        + (finish == null ? "null" : "\"" + finish + "\"")
        + "}]}";
  }

  // ---- routes answered without a running instance -------------------------------------------

  @Test
  void theOllamaPathsAreAnsweredByTheServerItselfNeverProxied() throws Exception {
    for (String path :
        List.of(
            "/api/pull",
            "/api/tags",
            "/api/show",
            "/api/chat",
            "/api/generate",
            "/api/delete",
            "/api/ps",
            "/api/version")) {
      assertThat(ShimmyHttpApi.answersItself(path)).as(path).isTrue();
    }
    assertThat(ShimmyHttpApi.answersItself("/api/models")).isFalse();

    HttpResponse<String> version = get("/api/version");
    assertThat(version.statusCode()).isEqualTo(200);
    assertThat(json(version.body())).isEqualTo(Map.of("version", "9.8.7"));
  }

  @Test
  void tagsAndPsAnswerEmptyListsWithNoModelAndNoInstanceEvenWhenTheBackendFailed()
      throws Exception {
    fx.supervisor.inState(BackendStatus.FAILED, "crash loop");

    assertThat(get("/api/tags").body()).isEqualTo("{\"models\":[]}");
    assertThat(get("/api/ps").body()).isEqualTo("{\"models\":[]}");
  }

  @Test
  void aWrongMethodOrBadJsonIsAnOllamaErrorBeforeTheAnswer() throws Exception {
    HttpResponse<String> wrong = send("PUT", "/api/tags", "{}");
    assertError(wrong, 405);
    assertThat(wrong.headers().firstValue("Allow")).hasValue("GET, HEAD");
    assertError(post("/api/show", "{not json"), 400);
    assertError(post("/api/show", "[1,2]"), 400);
    assertThat(json(post("/api/show", "{}").body())).containsEntry("error", "model is required");
  }

  // ---- pull -------------------------------------------------------------------------------

  @Test
  void pullStreamsOllamaStatusesAndListsTheModelUnderTheNameItWasPulledBy() throws Exception {
    HttpResponse<String> response =
        post("/api/pull", "{\"model\":\"" + TINY + "\",\"insecure\":true}");

    assertThat(response.statusCode()).isEqualTo(200);
    List<Map<String, Object>> lines = lines(response);
    String sha256 = String.format("%064x", Math.abs((long) "tiny-Q4_K_M.gguf".hashCode()));
    assertThat(lines.get(0)).isEqualTo(Map.of("status", "pulling manifest"));
    assertThat(lines.get(1))
        .containsEntry("status", "pulling " + sha256.substring(0, 12))
        .containsEntry("digest", "sha256:" + sha256)
        .containsEntry("total", ScriptedPuller.FILE_SIZE);
    assertThat(lines)
        .filteredOn(m -> m.containsKey("digest"))
        .last()
        .satisfies(m -> assertThat(m).containsEntry("completed", ScriptedPuller.FILE_SIZE));
    assertThat(lines)
        .extracting(m -> m.get("status"))
        .containsSubsequence(
            "pulling manifest",
            "pulling " + sha256.substring(0, 12),
            "verifying sha256 digest",
            "writing manifest",
            "success")
        .last()
        .isEqualTo("success");
    assertThat(lines).noneMatch(m -> m.containsKey("error"));

    List<Map<String, Object>> models = tags();
    assertThat(models).hasSize(1);
    assertThat(models.get(0))
        .containsEntry("name", TINY)
        .containsEntry("model", TINY)
        .containsEntry("size", ScriptedPuller.FILE_SIZE)
        .containsKeys("modified_at", "digest", "details");
    assertThat(Instant.parse((String) models.get(0).get("modified_at"))).isNotNull();
    assertThat(models.get(0).get("details"))
        .isEqualTo(
            Map.of(
                "parent_model",
                "",
                "format",
                "gguf",
                "family",
                "",
                "families",
                List.of(),
                "parameter_size",
                "7K",
                "quantization_level",
                "Q4_K_M"));
  }

  @Test
  void pullProgressLinesAreFlushedWhileTheDownloadRuns() throws Exception {
    fx.puller.holdDownloads();
    HttpResponse<InputStream> response =
        client.send(
            HttpRequest.newBuilder(server.uri("/api/pull"))
                .POST(BodyPublishers.ofString("{\"model\":\"" + TINY + "\"}"))
                .build(),
            BodyHandlers.ofInputStream());
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      assertThat(json(reader.readLine())).isEqualTo(Map.of("status", "pulling manifest"));
      Map<String, Object> progress = json(reader.readLine());
      assertThat(progress)
          .containsEntry("completed", ScriptedPuller.FILE_SIZE / 2)
          .containsEntry("total", ScriptedPuller.FILE_SIZE);
      assertThat(coordinator.current()).as("still downloading").isPresent();

      fx.puller.release();
      String last = null;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        last = line;
      }
      assertThat(last).isEqualTo("{\"status\":\"success\"}");
    }
  }

  @Test
  void aNameWithoutTagIsPulledByTheDefaultRulesAndListedWithLatest() throws Exception {
    pulled("huggingface.co/acme/tiny");

    assertThat(tagNames()).containsExactly("huggingface.co/acme/tiny:latest");
    assertThat(modelDir.resolve("tiny-Q4_K_M.gguf")).exists();
    assertThat(post("/api/show", "{\"model\":\"hf.co/acme/tiny:latest\"}").statusCode())
        .isEqualTo(200);
    assertThat(post("/api/show", "{\"model\":\"HF.CO/ACME/TINY\"}").statusCode()).isEqualTo(200);
  }

  @Test
  void pullTakesTheNameFieldAChunkedBodyAndAnswersSuccessWithStreamFalse() throws Exception {
    byte[] body =
        ("{\"name\":\"" + TINY + "\",\"stream\":false,\"username\":\"x\"}")
            .getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(server.uri("/api/pull"))
                .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build(),
            BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(json(response.body())).isEqualTo(Map.of("status", "success"));
    assertThat(tagNames()).containsExactly(TINY);
  }

  @Test
  void failuresKnownEarlyComeBeforeTheStreamWithTheirStatus() throws Exception {
    fx.puller.failPrepare(
        "acme/missing",
        new PullException(
            PullException.Reason.NOT_FOUND, "no file matches tag Q9 (available: a-Q4_K_M.gguf)"));
    fx.puller.failPrepare(
        "acme/gated", new PullException(PullException.Reason.GATED, "accept the license"));
    fx.puller.failPrepare(
        "acme/big",
        new PullException(PullException.Reason.INSUFFICIENT_STORAGE, "not enough space"));

    HttpResponse<String> missing = post("/api/pull", "{\"model\":\"hf.co/acme/missing:Q9\"}");
    assertError(missing, 404);
    assertThat(json(missing.body()).get("error").toString()).contains("available: a-Q4_K_M.gguf");
    assertError(post("/api/pull", "{\"model\":\"hf.co/acme/gated\"}"), 403);
    assertError(post("/api/pull", "{\"model\":\"hf.co/acme/big\"}"), 507);
    HttpResponse<String> ollamaLibraryName = post("/api/pull", "{\"model\":\"llama3\"}");
    assertError(ollamaLibraryName, 400);
    assertThat(ollamaLibraryName.body()).contains("hf.co/owner/repo");

    fx.puller.holdDownloads();
    CompletableFuture<HttpResponse<String>> first =
        CompletableFuture.supplyAsync(
            () -> quietly(() -> post("/api/pull", "{\"model\":\"" + TINY + "\"}")));
    fx.puller.awaitHeld();
    assertError(post("/api/pull", "{\"model\":\"hf.co/acme/other\"}"), 409);
    fx.puller.release();
    assertThat(first.get(60, TimeUnit.SECONDS).body()).contains("\"status\":\"success\"");
  }

  @Test
  void anErrorAfterTheStreamStartedIsTheLastLineAndThereIsNoSuccess() throws Exception {
    fx.supervisor.failRefreshes(
        new SupervisorException(
            SupervisorException.Reason.READY_TIMEOUT, "Shimmy did not come up"));

    HttpResponse<String> response = post("/api/pull", "{\"model\":\"" + TINY + "\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    List<Map<String, Object>> lines = lines(response);
    assertThat(lines.get(lines.size() - 1)).containsOnlyKeys("error");
    assertThat(lines.get(lines.size() - 1).get("error").toString())
        .contains("Shimmy did not come up");
    assertThat(lines).noneMatch(m -> "success".equals(m.get("status")));

    HttpResponse<String> notStreamed =
        post("/api/pull", "{\"model\":\"hf.co/acme/other\",\"stream\":false}");
    assertError(notStreamed, 503);
  }

  @Test
  void aSecondIdenticalPullAttachesToTheRunningOneAndBothNamesAreListed() throws Exception {
    fx.puller.holdDownloads();
    CompletableFuture<HttpResponse<String>> first =
        CompletableFuture.supplyAsync(
            () -> quietly(() -> post("/api/pull", "{\"model\":\"" + TINY + "\"}")));
    fx.puller.awaitHeld();
    HttpRequest again =
        HttpRequest.newBuilder(server.uri("/api/pull"))
            .POST(BodyPublishers.ofString("{\"model\":\"acme/tiny:Q4_K_M\"}"))
            .build();
    // The headers come once the second request is attached to the running job.
    HttpResponse<Stream<String>> second =
        client.sendAsync(again, BodyHandlers.ofLines()).get(60, TimeUnit.SECONDS);
    fx.puller.release();

    List<String> secondLines = second.body().toList();
    assertThat(secondLines.get(0)).isEqualTo("{\"status\":\"pulling manifest\"}");
    assertThat(secondLines.get(secondLines.size() - 1)).isEqualTo("{\"status\":\"success\"}");
    List<Map<String, Object>> lines = lines(first.get(60, TimeUnit.SECONDS));
    assertThat(lines.get(0)).isEqualTo(Map.of("status", "pulling manifest"));
    assertThat(lines.get(lines.size() - 1)).isEqualTo(Map.of("status", "success"));
    assertThat(fx.puller.pullCalls()).isEqualTo(1);
    assertThat(tagNames()).containsExactlyInAnyOrder(TINY, "acme/tiny:Q4_K_M");
  }

  @Test
  void theAdminTokenGuardsPullAndDeleteAsABearerHeader() throws Exception {
    serve(TOKEN);

    HttpResponse<String> anonymous = post("/api/pull", "{\"model\":\"" + TINY + "\"}");
    assertError(anonymous, 401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertError(
        send(
            "DELETE",
            "/api/delete",
            "{\"model\":\"" + TINY + "\"}",
            "Authorization",
            "Bearer wrong"),
        401);

    HttpResponse<String> admin =
        post(
            "/api/pull",
            "{\"model\":\"" + TINY + "\",\"stream\":false}",
            "Authorization",
            "Bearer " + TOKEN);
    assertThat(admin.statusCode()).isEqualTo(200);
    assertThat(get("/api/tags").statusCode()).isEqualTo(200);
    assertThat(
            send(
                    "DELETE",
                    "/api/delete",
                    "{\"model\":\"" + TINY + "\"}",
                    "Authorization",
                    "Bearer " + TOKEN)
                .statusCode())
        .isEqualTo(200);
  }

  // ---- names ------------------------------------------------------------------------------

  @Test
  void namesSurviveARestartOfTheServer() throws Exception {
    pulled(TINY);
    server.close();
    coordinator.close();

    coordinator = fx.coordinator();
    serve(null);

    assertThat(tagNames()).containsExactly(TINY);
    assertThat(Files.readString(modelDir.resolve(".shimmy-pull").resolve(ModelNames.FILE)))
        .contains(TINY)
        .contains(TINY_ID);
    assertThat(
            new ModelNames(modelDir, coordinator::localModels)
                .resolver()
                .apply("hf.co/Acme/Tiny:q4_k_m"))
        .isEqualTo(TINY_ID);
  }

  @Test
  void modelsThatArrivedAnotherWayAreListedByRepoAndQuantOrByIdAndOurIdsAreAccepted()
      throws Exception {
    Files.write(modelDir.resolve("copied-Q8_0.gguf"), new byte[100]);
    Files.write(modelDir.resolve("other-Q5_K_M.gguf"), new byte[100]);
    coordinator.close();
    LocalModels withRepo =
        new LocalModels() {
          @Override
          public List<LocalModel> list() {
            return fx.localModels.list().stream()
                .map(
                    m ->
                        m.id().equals("other-q5-k-m")
                            ? new LocalModel(
                                m.id(),
                                m.files(),
                                m.sizeBytes(),
                                "ab".repeat(32),
                                "acme/other-GGUF",
                                "c0ffee")
                            : m)
                .toList();
          }

          @Override
          public LocalModel delete(String id) {
            return fx.localModels.delete(id);
          }
        };
    coordinator = fx.track(fx.builder().localModels(withRepo).build());
    serve(null);

    List<Map<String, Object>> models = tags();
    assertThat(models)
        .extracting(m -> m.get("name"))
        .containsExactly("copied-q8-0:latest", "hf.co/acme/other-GGUF:Q5_K_M");
    assertThat(models.get(1)).containsEntry("digest", "ab".repeat(32));
    assertThat((String) models.get(0).get("digest")).hasSize(64);
    assertThat(post("/api/show", "{\"model\":\"copied-q8-0\"}").statusCode()).isEqualTo(200);
    assertThat(post("/api/show", "{\"model\":\"HF.CO/acme/other-gguf:q5_k_m\"}").statusCode())
        .isEqualTo(200);
    assertError(post("/api/show", "{\"model\":\"hf.co/acme/nothing:Q4_K_M\"}"), 404);
  }

  // ---- show -------------------------------------------------------------------------------

  @Test
  @SuppressWarnings("unchecked")
  void showAnswersDetailsModelInfoAndTheTemplateFromTheGgufHeader() throws Exception {
    Files.write(
        modelDir.resolve("tinyllama-Q2_K.gguf"),
        GgufHeader.builder()
            .string("general.architecture", "llama")
            .uint64("general.parameter_count", 1_100_048_384L)
            .uint32("general.file_type", 10)
            .uint32("llama.context_length", 2048)
            .strings("tokenizer.ggml.tokens", Collections.nCopies(100, "t"))
            .string("tokenizer.chat_template", "<|user|>{{ content }}")
            .build());

    HttpResponse<String> response =
        post("/api/show", "{\"model\":\"tinyllama-q2-k:latest\",\"verbose\":true}");

    assertThat(response.statusCode()).isEqualTo(200);
    Map<String, Object> body = json(response.body());
    assertThat(body)
        .containsEntry("template", "<|user|>{{ content }}")
        .containsEntry("capabilities", List.of("completion"))
        .containsKeys("modelfile", "modified_at")
        .doesNotContainKey("parameters");
    assertThat((Map<String, Object>) body.get("details"))
        .containsEntry("family", "llama")
        .containsEntry("families", List.of("llama"))
        .containsEntry("parameter_size", "1.1B")
        .containsEntry("quantization_level", "Q2_K");
    assertThat((Map<String, Object>) body.get("model_info"))
        .containsEntry("general.architecture", "llama")
        .containsEntry("general.parameter_count", 1_100_048_384)
        .containsEntry("llama.context_length", 2048)
        .doesNotContainKeys("tokenizer.ggml.tokens", "tokenizer.chat_template");
    assertError(post("/api/show", "{\"name\":\"unknown\"}"), 404);
  }

  // ---- delete -----------------------------------------------------------------------------

  @Test
  void deleteRemovesANameAndTheFilesOnlyWhenNoOtherNamePointsAtThem() throws Exception {
    pulled(TINY);
    pulled("acme/tiny:Q4_K_M");
    assertThat(tagNames()).containsExactly(TINY, "acme/tiny:Q4_K_M");

    assertThat(send("DELETE", "/api/delete", "{\"model\":\"" + TINY + "\"}").statusCode())
        .isEqualTo(200);
    assertThat(tagNames()).containsExactly("acme/tiny:Q4_K_M");
    assertThat(modelDir.resolve("tiny-Q4_K_M.gguf")).exists();

    assertThat(send("DELETE", "/api/delete", "{\"name\":\"ACME/tiny:q4_k_m\"}").statusCode())
        .isEqualTo(200);
    assertThat(tagNames()).isEmpty();
    assertThat(modelDir.resolve("tiny-Q4_K_M.gguf")).doesNotExist();
    assertError(send("DELETE", "/api/delete", "{\"model\":\"" + TINY + "\"}"), 404);
  }

  @Test
  void deleteDuringTheModelsPullIsAConflict() throws Exception {
    fx.puller.holdDownloads();
    CompletableFuture<HttpResponse<String>> again =
        CompletableFuture.supplyAsync(
            () ->
                quietly(() -> post("/api/pull", "{\"model\":\"" + TINY + "\",\"stream\":false}")));
    fx.puller.awaitHeld();

    HttpResponse<String> response = send("DELETE", "/api/delete", "{\"model\":\"" + TINY + "\"}");

    assertError(response, 409);
    fx.puller.release();
    again.get(60, TimeUnit.SECONDS);
  }

  // ---- ps ---------------------------------------------------------------------------------

  @Test
  @SuppressWarnings("unchecked")
  void psListsTheRunningInstancesUnderTheirNamesWithExpiryAndSizeVram() throws Exception {
    pulled(TINY);
    Instant expires = Instant.parse("2030-01-02T03:04:05Z");
    instances.running(
        new InstanceState(
            TINY_ID,
            BackendStatus.READY,
            1L,
            4000,
            Instant.now(),
            Instant.now(),
            0,
            expires,
            0,
            null,
            ScriptedPuller.FILE_SIZE),
        new InstanceState(
            "gone", BackendStatus.READY, 2L, 4001, Instant.now(), null, 1, null, 0, null, 77));

    List<Map<String, Object>> models =
        (List<Map<String, Object>>) json(get("/api/ps").body()).get("models");

    assertThat(models).hasSize(2);
    assertThat(models.get(0))
        .containsEntry("name", TINY)
        .containsEntry("model", TINY)
        .containsEntry("size", ScriptedPuller.FILE_SIZE)
        .containsEntry("expires_at", "2030-01-02T03:04:05Z")
        .containsEntry("size_vram", 0)
        .containsKeys("digest", "details");
    assertThat(models.get(1)).containsEntry("name", "gone:latest").containsEntry("size", 77);
    assertThat(Instant.parse((String) models.get(1).get("expires_at")))
        .isAfter(Instant.now().plus(Duration.ofDays(365 * 100)));
  }

  // ---- chat and generate ------------------------------------------------------------------

  @Test
  @SuppressWarnings("unchecked")
  void chatStreamsOneLinePerTokenAsItArrivesThenAFinalObjectWithTheStatistics() throws Exception {
    pulled(TINY);
    shimmy.enqueue(
        sse(
            chunk(null, null),
            chunk("Hel", null),
            chunk("lo", null),
            chunk(null, "stop"),
            "[DONE]"));

    HttpResponse<String> response =
        post(
            "/api/chat",
            "{\"model\":\""
                + TINY
                + "\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"hi\",\"images\":[]}],"
                + "\"options\":{\"num_predict\":32,\"temperature\":0.2,\"top_p\":0.9,\"seed\":7,\"stop\":[\"###\"],\"mirostat\":1},"
                + "\"format\":\"json\",\"tools\":[],\"think\":false,\"keep_alive\":\"5m\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    List<Map<String, Object>> lines = lines(response);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0))
        .containsEntry("model", TINY)
        .containsEntry("done", false)
        .containsEntry("message", Map.of("role", "assistant", "content", "Hel"))
        .containsKey("created_at");
    assertThat(lines.get(1).get("message")).isEqualTo(Map.of("role", "assistant", "content", "lo"));
    Map<String, Object> last = lines.get(2);
    assertThat(last)
        .containsEntry("done", true)
        .containsEntry("done_reason", "stop")
        .containsEntry("eval_count", 2)
        .containsKeys(
            "total_duration",
            "load_duration",
            "prompt_eval_count",
            "prompt_eval_duration",
            "eval_duration");
    assertThat(((Number) last.get("total_duration")).longValue()).isPositive();

    RecordedRequest recorded = shimmy.takeRequest(5, TimeUnit.SECONDS);
    assertThat(recorded.getUrl().encodedPath()).isEqualTo("/v1/chat/completions");
    Map<String, Object> sent = json(recorded.getBody().utf8());
    assertThat(sent)
        .containsEntry("model", TINY_ID)
        .containsEntry("stream", true)
        .containsEntry("max_tokens", 32)
        .containsEntry("temperature", 0.2)
        .containsEntry("top_p", 0.9)
        .containsEntry("seed", 7)
        .containsEntry("stop", List.of("###"))
        .doesNotContainKeys("options", "format", "tools", "mirostat");
    assertThat((List<Object>) sent.get("messages"))
        .containsExactly(
            Map.of("role", "system", "content", "be brief"),
            Map.of("role", "user", "content", "hi"));
    assertThat(instances.acquired()).containsExactly(TINY_ID);
    Await.until("the lease is closed", () -> instances.openLeases() == 0);
  }

  @Test
  void chatWithStreamFalseAnswersOneObjectWithTheWholeMessage() throws Exception {
    pulled(TINY);
    shimmy.enqueue(
        sse(
            chunk(null, null),
            chunk("Hel", null),
            chunk("lo", null),
            chunk(null, "length"),
            "[DONE]"));

    HttpResponse<String> response =
        post(
            "/api/chat",
            "{\"model\":\""
                + TINY_ID
                + "\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    Map<String, Object> body = json(response.body());
    assertThat(body)
        .containsEntry("model", TINY_ID)
        .containsEntry("done", true)
        .containsEntry("done_reason", "length")
        .containsEntry("message", Map.of("role", "assistant", "content", "Hello"))
        .containsEntry("eval_count", 2);
  }

  @Test
  void generateIsTranslatedToShimmysApiGenerateAndAnsweredWithResponseLines() throws Exception {
    pulled(TINY);
    shimmy.enqueue(sse("Once", " upon", "[DONE]"));

    HttpResponse<String> response =
        post(
            "/api/generate",
            "{\"model\":\""
                + TINY
                + "\",\"prompt\":\"Tell me\",\"system\":\"short\",\"raw\":true,\"options\":{\"num_predict\":2,\"top_k\":40}}");

    List<Map<String, Object>> lines = lines(response);
    assertThat(lines).extracting(m -> m.get("response")).containsExactly("Once", " upon", "");
    assertThat(lines.get(2))
        .containsEntry("done", true)
        .containsEntry("done_reason", "length")
        .containsEntry("eval_count", 2);
    RecordedRequest recorded = shimmy.takeRequest(5, TimeUnit.SECONDS);
    assertThat(recorded.getUrl().encodedPath()).isEqualTo("/api/generate");
    assertThat(json(recorded.getBody().utf8()))
        .containsEntry("model", TINY_ID)
        .containsEntry("prompt", "Tell me")
        .containsEntry("system", "short")
        .containsEntry("max_tokens", 2)
        .containsEntry("top_k", 40)
        .containsEntry("stream", true);
  }

  @Test
  void anErrorInsideTheGenerationStreamIsTheLastLine() throws Exception {
    pulled(TINY);
    shimmy.enqueue(sse("Once", "[ERROR] generation failed: out of memory"));
    shimmy.enqueue(
        new MockResponse.Builder()
            .addHeader("Content-Type", "text/event-stream")
            .body("data: " + chunk("Hi", null) + "\n\n")
            .build());

    List<Map<String, Object>> generate =
        linesUntilBrokenOff("/api/generate", "{\"model\":\"" + TINY + "\",\"prompt\":\"x\"}");
    assertThat(generate).hasSize(2);
    assertThat(generate.get(1)).isEqualTo(Map.of("error", "generation failed: out of memory"));

    List<Map<String, Object>> chat =
        linesUntilBrokenOff(
            "/api/chat",
            "{\"model\":\"" + TINY + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(chat).hasSize(2);
    assertThat(chat.get(1)).containsOnlyKeys("error");
    assertThat(chat).noneMatch(m -> Boolean.TRUE.equals(m.get("done")));
  }

  @Test
  void errorsBeforeTheAnswerAreOllamaErrorsWithTheirStatus() throws Exception {
    assertError(
        post(
            "/api/chat",
            "{\"model\":\"hf.co/acme/unknown\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
        404);

    pulled(TINY);
    shimmy.enqueue(new MockResponse.Builder().code(500).body("").build());
    HttpResponse<String> refused =
        post(
            "/api/chat",
            "{\"model\":\"" + TINY + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertError(refused, 502);
    assertThat(refused.body()).contains("Shimmy answered 500");

    instances.serve(TINY_ID, URI.create("http://127.0.0.1:1"));
    assertError(
        post("/api/generate", "{\"model\":\"" + TINY + "\",\"prompt\":\"x\",\"stream\":false}"),
        502);

    Files.write(modelDir.resolve("lonely-Q4_K_M.gguf"), new byte[10]);
    HttpResponse<String> noInstance =
        post("/api/generate", "{\"model\":\"lonely-q4-k-m\",\"prompt\":\"x\"}");
    assertError(noInstance, 404);
  }

  @Test
  void anEmptyPromptLoadsTheModelAndKeepAliveZeroUnloadsIt() throws Exception {
    pulled(TINY);

    HttpResponse<String> load =
        post("/api/generate", "{\"model\":\"" + TINY + "\",\"stream\":false}");
    assertThat(json(load.body()))
        .containsEntry("done", true)
        .containsEntry("done_reason", "load")
        .containsEntry("response", "");
    HttpResponse<String> unload =
        post("/api/chat", "{\"model\":\"" + TINY + "\",\"messages\":[],\"keep_alive\":0}");
    assertThat(lines(unload))
        .singleElement()
        .satisfies(m -> assertThat(m).containsEntry("done_reason", "unload"));

    assertThat(instances.loaded()).containsExactly(TINY_ID);
    assertThat(instances.unloaded()).containsExactly(TINY_ID);
    assertThat(shimmy.getRequestCount()).isZero();
  }

  @Test
  void keepAliveZeroStopsTheInstanceOnceTheAnswerIsSentAndOtherValuesAreIgnored() throws Exception {
    pulled(TINY);
    shimmy.enqueue(sse(chunk("a", null), "[DONE]"));
    shimmy.enqueue(sse(chunk("b", null), "[DONE]"));

    post(
        "/api/chat",
        "{\"model\":\""
            + TINY
            + "\",\"stream\":false,\"keep_alive\":\"10m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(instances.unloaded()).isEmpty();
    post(
        "/api/chat",
        "{\"model\":\""
            + TINY
            + "\",\"stream\":false,\"keep_alive\":\"0s\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(instances.unloaded()).containsExactly(TINY_ID);
  }

  @Test
  void aClientThatGoesAwayMidStreamReleasesTheInstanceAndTheShimmyResponse() throws Exception {
    pulled(TINY);
    StringBuilder events = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      events.append("data: ").append(chunk("token" + i, null)).append("\n\n");
    }
    shimmy.enqueue(
        new MockResponse.Builder()
            .addHeader("Content-Type", "text/event-stream")
            .body(events.toString())
            .throttleBody(512, 20, TimeUnit.MILLISECONDS)
            .build());

    HttpResponse<InputStream> response =
        client.send(
            HttpRequest.newBuilder(server.uri("/api/chat"))
                .POST(
                    BodyPublishers.ofString(
                        "{\"model\":\""
                            + TINY
                            + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"))
                .build(),
            BodyHandlers.ofInputStream());
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      assertThat(json(reader.readLine()))
          .containsEntry("message", Map.of("role", "assistant", "content", "token0"));
    }

    Await.until("the lease is released", () -> instances.openLeases() == 0);
  }

  @Test
  void pullingAPresentModelByANameThatIsNoHubReferenceSucceedsAtOnce() throws Exception {
    Files.write(modelDir.resolve("copied-Q8_0.gguf"), new byte[100]);

    HttpResponse<String> response = post("/api/pull", "{\"model\":\"copied-q8-0:latest\"}");

    assertThat(lines(response)).containsExactly(Map.of("status", "success"));
    assertThat(fx.puller.prepareCalls()).isZero();
  }

  private interface Call<T> {
    T call() throws Exception;
  }

  private static <T> T quietly(Call<T> call) {
    try {
      return call.call();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
