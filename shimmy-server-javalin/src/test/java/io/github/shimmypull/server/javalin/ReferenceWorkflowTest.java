package io.github.shimmypull.server.javalin;

import static io.github.shimmypull.server.javalin.support.Hub.OTHER_ID;
import static io.github.shimmypull.server.javalin.support.Hub.OTHER_REF;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_FILE;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_ID;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_REF;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_REPO;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.server.javalin.support.Api;
import io.github.shimmypull.server.javalin.support.Hub;
import io.github.shimmypull.server.javalin.support.Servers;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import io.github.shimmypull.testkit.HubFault;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The reference deployment's workflow against the server jar's front server, a fake Hugging Face
 * and the fake Shimmy as a real child process.
 */
class ReferenceWorkflowTest extends FrontServerFixture {

  private void serve(String... extra) {
    startServer(Servers.fakeShimmy(), extra);
  }

  private List<String> servedIds() {
    Api.Reply reply = api.get("/v1/models");
    assertThat(reply.status()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    reply.json().path("data").forEach(m -> ids.add(m.path("id").asString()));
    return ids;
  }

  @Test
  void pullsTinyLlamaWithProgressThenListsAndGeneratesWithIt() throws Exception {
    FakeShimmy.writeGguf(modelDir.resolve("phi-2.Q4_K_M.gguf"), 4096);
    serve();
    Await.until(
        Duration.ofSeconds(60),
        "the initial model served",
        () -> servedIds().contains("phi-2.q4-k-m"));
    assertThat(api.get("/v1/api/models").body()).contains("phi-2.q4-k-m");

    List<String> lines =
        api.streamLines("/v1/api/pull", "{\"model\": \"" + TINYLLAMA_REF + "\"}", null, line -> {});

    List<String> statuses = lines.stream().map(l -> Api.json(l).path("status").asString()).toList();
    assertThat(statuses)
        .startsWith("starting")
        .contains("resolving", "downloading", "verifying", "discovering", "restarting")
        .endsWith("complete");
    JsonNode downloading =
        lines.stream()
            .map(Api::json)
            .filter(n -> n.path("status").asString().equals("downloading"))
            .reduce((a, b) -> b)
            .orElseThrow();
    assertThat(downloading.path("file").asString()).isEqualTo(TINYLLAMA_FILE);
    assertThat(downloading.path("completed").asLong())
        .isEqualTo(downloading.path("total").asLong())
        .isEqualTo(Hub.TINYLLAMA_SIZE);
    JsonNode complete = Api.json(lines.get(lines.size() - 1));
    assertThat(complete.path("model_id").asString()).isEqualTo(TINYLLAMA_ID);
    assertThat(complete.path("file").asString()).isEqualTo(TINYLLAMA_FILE);
    assertThat(complete.path("sha256").asString())
        .isEqualTo(hub.fake().sha256(TINYLLAMA_REPO, TINYLLAMA_FILE));
    assertThat(complete.path("revision").asString()).isEqualTo(hub.fake().head(TINYLLAMA_REPO));
    assertThat(complete.path("discovered").asBoolean()).isTrue();

    assertThat(servedIds()).contains(TINYLLAMA_ID, "phi-2.q4-k-m");
    JsonNode listed = findById(api.get("/v1/api/models").json(), TINYLLAMA_ID);
    assertThat(listed.path("repo").asString()).isEqualTo(TINYLLAMA_REPO);
    assertThat(listed.path("size").asLong()).isEqualTo(Hub.TINYLLAMA_SIZE);
    assertThat(Files.size(modelDir.resolve(TINYLLAMA_FILE))).isEqualTo(Hub.TINYLLAMA_SIZE);

    Api.Reply generated =
        api.postJson(
            "/v1/generate", "{\"model\": \"" + TINYLLAMA_ID + "\", \"prompt\": \"Say hi.\"}");
    assertThat(generated.status()).isEqualTo(200);
    assertThat(generated.json().path("response").asString()).isNotBlank();

    Api.Reply chat =
        api.postJson(
            "/v1/chat/completions",
            "{\"model\": \""
                + TINYLLAMA_ID
                + "\", \"stream\": false, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
    assertThat(chat.status()).isEqualTo(200);
    assertThat(chat.json().path("choices").get(0).path("message").path("content").asString())
        .isNotBlank();

    List<String> sse =
        api.streamLines(
            "/v1/chat/completions",
            "{\"model\": \""
                + TINYLLAMA_ID
                + "\", \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            null,
            line -> {});
    assertThat(sse).anyMatch(l -> l.startsWith("data: {")).contains("data: [DONE]");

    JsonNode jobs = api.get("/v1/api/pull").json();
    assertThat(jobs.toString()).contains(TINYLLAMA_REF.split(":")[0]).contains("complete");

    Api.Reply again =
        api.postJson("/v1/api/pull", "{\"model\": \"" + TINYLLAMA_REF + "\", \"stream\": false}");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().path("status").asString()).isEqualTo("complete");
    assertThat(again.json().path("downloaded").asBoolean()).isFalse();

    String metrics = api.get("/v1/api/metrics").body();
    assertThat(metrics)
        .contains(
            "shimmy_pull_bytes",
            "shimmy_pulls",
            "shimmy_refreshes",
            "shimmy_backend_state",
            "shimmy_proxy_requests");

    Api.Reply deleted = api.delete("/v1/api/models/" + TINYLLAMA_ID, null);
    assertThat(deleted.status()).isEqualTo(200);
    assertThat(modelDir.resolve(TINYLLAMA_FILE)).doesNotExist();
    Await.until(
        Duration.ofSeconds(60),
        "the deleted model no longer served",
        () -> !servedIds().contains(TINYLLAMA_ID));
    assertThat(servedIds()).contains("phi-2.q4-k-m");
  }

  @Test
  void aSecondModelGets409TheSameModelAttachesAndCancelKeepsThePartialForAResume()
      throws Exception {
    hub.fake().inject(TINYLLAMA_REPO, TINYLLAMA_FILE, HubFault.stallAfter(1024 * 1024), 1);
    server =
        Servers.serve(
            modelDir,
            hub,
            Servers.fakeShimmy(),
            runtime ->
                runtime.pullerCustomizer(
                    p ->
                        p.parts(1)
                            .maxAttempts(2)
                            .initialBackoff(Duration.ofMillis(20))
                            .diskReserveBytes(0)));
    api = Servers.api(server);
    String body = "{\"model\": \"" + TINYLLAMA_REF + "\"}";
    CompletableFuture<List<String>> first =
        CompletableFuture.supplyAsync(() -> api.streamLines("/v1/api/pull", body, null, l -> {}));
    Await.until(
        Duration.ofSeconds(30),
        "bytes downloaded",
        () -> api.get("/v1/api/pull").body().matches("(?s).*\"completed\":[1-9].*"));

    assertThat(api.get("/v1/health").json().path("pull").path("model").asString())
        .contains(TINYLLAMA_REPO);
    Api.Reply conflict = api.postJson("/v1/api/pull", "{\"model\": \"" + OTHER_REF + "\"}");
    assertThat(conflict.status()).isEqualTo(409);
    assertThat(conflict.code()).isEqualTo("pull_in_progress");
    assertThat(conflict.body()).contains(TINYLLAMA_REPO);

    List<String> attachedLines = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<List<String>> attached =
        CompletableFuture.supplyAsync(
            () -> api.streamLines("/v1/api/pull", body, null, attachedLines::add));
    Await.until(
        Duration.ofSeconds(30), "the attached stream's first line", () -> !attachedLines.isEmpty());

    Api.Reply cancelled = api.delete("/v1/api/pull", null);
    assertThat(cancelled.status()).isEqualTo(200);

    for (List<String> lines : List.of(first.get(), attached.get())) {
      JsonNode last = Api.json(lines.get(lines.size() - 1));
      assertThat(last.path("status").asString()).isEqualTo("error");
      assertThat(last.path("code").asString()).isEqualTo("cancelled");
    }
    assertThat(hub.fake().cdnDownloads()).hasSize(1);
    try (Stream<Path> files = Files.list(modelDir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .doesNotContain(TINYLLAMA_FILE)
          .noneMatch(n -> n.endsWith(".gguf"));
    }

    hub.fake().clearRequests();
    Api.Reply resumed =
        api.postJson("/v1/api/pull", "{\"model\": \"" + TINYLLAMA_REF + "\", \"stream\": false}");
    assertThat(resumed.status()).isEqualTo(200);
    assertThat(resumed.json().path("sha256").asString())
        .isEqualTo(hub.fake().sha256(TINYLLAMA_REPO, TINYLLAMA_FILE));
    assertThat(hub.fake().cdnDownloads())
        .isNotEmpty()
        .allSatisfy(
            r ->
                assertThat(r.getHeaders().get("Range"))
                    .startsWith("bytes=")
                    .doesNotStartWith("bytes=0-"));
    assertThat(metric(api.get("/v1/api/metrics").body(), "shimmy_pull_resumed_bytes_total"))
        .isPositive();
  }

  /** The value of the first sample of {@code name} in Prometheus text. */
  private static double metric(String text, String name) {
    return text.lines()
        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in metrics"));
  }

  @Test
  void mutatingEndpointsNeedTheAdminTokenAndBadInputsGetClear4xxJson() throws Exception {
    serve("--admin-token", "s3cret");

    assertThat(api.postJson("/v1/api/pull", "{\"model\": \"" + OTHER_REF + "\"}").status())
        .isEqualTo(401);
    assertThat(api.postJson("/v1/api/pull", "{\"model\": \"" + OTHER_REF + "\"}", "wrong").code())
        .isEqualTo("unauthorized");
    assertThat(api.delete("/v1/api/models/" + OTHER_ID, null).status()).isEqualTo(401);
    assertThat(api.delete("/v1/api/pull", "nope").status()).isEqualTo(401);

    assertRejected(
        api.postJson("/v1/api/pull", "{\"model\": \"../../etc/passwd\"}", "s3cret"),
        400,
        "invalid_request");
    assertRejected(
        api.postJson(
            "/v1/api/pull", "{\"model\": \"acme/x\", \"filename\": \"../x.gguf\"}", "s3cret"),
        400,
        "invalid_request");
    assertRejected(
        api.postJson(
            "/v1/api/pull", "{\"model\": \"acme/x\", \"filename\": \"a/../../x.gguf\"}", "s3cret"),
        400,
        "invalid_request");
    assertRejected(
        api.postJson(
            "/v1/api/pull", "{\"model\": \"acme/x\", \"filename\": \"/etc/x.gguf\"}", "s3cret"),
        400,
        "invalid_request");
    assertRejected(
        api.postJson("/v1/api/pull", "{\"model\": \"acme/x\", \"filename\": \"x.bin\"}", "s3cret"),
        400,
        "invalid_request");
    assertRejected(
        api.postJson(
            "/v1/api/pull",
            "{\"model\": \"" + OTHER_REF + "\", \"revision\": \"../../main\"}",
            "s3cret"),
        400,
        "invalid_request");
    assertRejected(
        api.postJson(
            "/v1/api/pull", "{\"model\": \"" + OTHER_REF + "\", \"colour\": \"red\"}", "s3cret"),
        400,
        "invalid_request");
    assertRejected(api.postJson("/v1/api/pull", "{\"model\": ", "s3cret"), 400, "invalid_request");
    assertRejected(
        api.postJson(
            "/v1/api/pull",
            "{\"model\": \"" + OTHER_REF + "\", \"pad\": \"" + "x".repeat(70 * 1024) + "\"}",
            "s3cret"),
        413,
        "payload_too_large");
    Request textPlain =
        new Request.Builder()
            .url(api.url("/v1/api/pull"))
            .header("Authorization", "Bearer s3cret")
            .post(
                RequestBody.create(
                    "{\"model\": \"" + OTHER_REF + "\"}", MediaType.get("text/plain")))
            .build();
    assertRejected(api.send(textPlain), 415, "unsupported_media_type");
    assertThat(api.delete("/v1/api/models/..%2F..%2Fetc%2Fpasswd", "s3cret").status())
        .isBetween(400, 404);

    assertRejected(
        api.postJson("/v1/api/pull", "{\"model\": \"acme/missing-GGUF:Q4_K_M\"}", "s3cret"),
        404,
        "not_found");
    Api.Reply noSuchTag =
        api.postJson("/v1/api/pull", "{\"model\": \"" + TINYLLAMA_REPO + ":Q9_Z\"}", "s3cret");
    assertRejected(noSuchTag, 404, "not_found");
    assertThat(noSuchTag.body()).contains(TINYLLAMA_FILE);
    assertRejected(
        api.postJson("/v1/api/pull", "{\"model\": \"" + Hub.GATED_REPO + ":Q4_K_M\"}", "s3cret"),
        403,
        "gated_repo");

    hub.fake().inject(Hub.OTHER_REPO, Hub.OTHER_FILE, HubFault.status(503), 10);
    Api.Reply upstream =
        api.postJson(
            "/v1/api/pull", "{\"model\": \"" + OTHER_REF + "\", \"stream\": false}", "s3cret");
    assertRejected(upstream, 502, "upstream_error");

    try (Stream<Path> files = Files.list(modelDir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".gguf"));
    }
    assertThat(tmp.resolve("etc")).doesNotExist();
  }

  private static void assertRejected(Api.Reply reply, int status, String code) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(status);
    assertThat(reply.contentType()).startsWith("application/json");
    assertThat(reply.code()).isEqualTo(code);
    assertThat(reply.json().path("error").asString()).isNotBlank();
  }

  private static JsonNode findById(JsonNode models, String id) {
    JsonNode array = models.isArray() ? models : models.path("models");
    for (JsonNode model : array) {
      if (model.path("id").asString().equals(id)) {
        return model;
      }
    }
    throw new AssertionError(id + " not in " + models);
  }
}
