package io.github.shimmypull.server.javalin;

import static io.github.shimmypull.server.javalin.support.Hub.OTHER_FILE;
import static io.github.shimmypull.server.javalin.support.Hub.OTHER_ID;
import static io.github.shimmypull.server.javalin.support.Hub.OTHER_REF;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_FILE;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_ID;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_REF;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.server.javalin.support.Api;
import io.github.shimmypull.server.javalin.support.Servers;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import okio.BufferedSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The supervised backend seen through the front server: absent, crashing, restarting, streaming.
 */
class BackendTest extends FrontServerFixture {

  private static final String PHI_ID = "phi-2.q4-k-m";

  private void serveWithAModel(String shimmyCommand, String... extra) {
    FakeShimmy.writeGguf(modelDir.resolve("phi-2.Q4_K_M.gguf"), 4096);
    startServer(shimmyCommand, extra);
  }

  private JsonNode health() {
    return api.get("/v1/health").json();
  }

  private void awaitReady() {
    Await.until(
        Duration.ofSeconds(60),
        "Shimmy ready",
        () -> health().path("backend").path("state").asString().equals("ready"));
  }

  private List<String> servedIds() {
    List<String> ids = new ArrayList<>();
    Api.Reply reply = api.get("/v1/models");
    if (reply.status() == 200) {
      reply.json().path("data").forEach(m -> ids.add(m.path("id").asString()));
    }
    return ids;
  }

  @Test
  void withoutTheShimmyExecutableTheServerStillPullsAndSaysWhyItCannotServe() throws Exception {
    serveWithAModel(tmp.resolve("no-such-shimmy").toString());

    Await.until(
        Duration.ofSeconds(30),
        "backend unavailable",
        () -> health().path("backend").path("state").asString().equals("unavailable"));
    assertThat(health().path("backend").path("reason").asString()).isNotBlank();
    Api.Reply proxied =
        api.postJson("/v1/chat/completions", "{\"model\": \"" + PHI_ID + "\", \"messages\": []}");
    assertThat(proxied.status()).isEqualTo(503);
    assertThat(proxied.code()).isEqualTo("backend_unavailable");
    assertThat(proxied.retryAfter()).isNotBlank();

    api.postJson("/v1/api/pull", "{\"model\": \"" + OTHER_REF + "\", \"stream\": false}");

    assertThat(modelDir.resolve(OTHER_FILE)).exists();
    assertThat(api.get("/v1/api/models").body()).contains(OTHER_ID);
  }

  @Test
  void aKilledShimmyIsRestartedAndHealthTellsTheStory() {
    serveWithAModel(Servers.fakeShimmy());
    awaitReady();
    JsonNode before = health().path("backend");
    long pid = before.path("pid").asLong();

    ProcessHandle.of(pid).orElseThrow().destroyForcibly();

    Await.until(
        Duration.ofSeconds(60),
        "a new Shimmy",
        () -> {
          JsonNode backend = health().path("backend");
          return backend.path("state").asString().equals("ready")
              && backend.path("pid").asLong() != pid;
        });
    JsonNode after = health().path("backend");
    assertThat(after.path("restarts").asInt()).isGreaterThan(before.path("restarts").asInt());
    assertThat(after.path("last_exit").isNull()).isFalse();
    assertThat(health().path("status").asString()).isEqualTo("ok");
    assertThat(servedIds()).contains(PHI_ID);
  }

  @Test
  void aPullOfAnotherModelUnderConcurrentLoadFailsNoProxiedRequestAndRestartsNothing()
      throws Exception {
    serveWithAModel(Servers.fakeShimmy());
    awaitReady();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    ExecutorService load = Executors.newFixedThreadPool(4);
    String chat =
        "{\"model\": \""
            + PHI_ID
            + "\", \"stream\": false, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
    for (int i = 0; i < 4; i++) {
      int n = i;
      load.submit(
          () -> {
            while (running.get()) {
              try {
                Api.Reply reply =
                    n % 2 == 0 ? api.get("/v1/models") : api.postJson("/v1/chat/completions", chat);
                if (reply.status() == 200) {
                  ok.incrementAndGet();
                } else {
                  failures.add(reply.status() + " " + reply.body());
                }
              } catch (RuntimeException e) {
                failures.add(e.toString());
              }
            }
          });
    }
    int restartsBefore = health().path("backend").path("restarts").asInt();
    Await.until(Duration.ofSeconds(30), "load running", () -> ok.get() > 20);

    Api.Reply pulled =
        api.postJson("/v1/api/pull", "{\"model\": \"" + OTHER_REF + "\", \"stream\": false}");
    int duringPull = ok.get();
    Await.until(
        Duration.ofSeconds(30), "more load after the switch", () -> ok.get() > duringPull + 20);
    running.set(false);
    load.shutdown();
    assertThat(load.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

    assertThat(pulled.status()).as(pulled.body()).isEqualTo(200);
    assertThat(health().path("backend").path("restarts").asInt())
        .as("no instance was restarted")
        .isEqualTo(restartsBefore);
    assertThat(servedIds()).contains(OTHER_ID, PHI_ID);
    assertThat(failures).isEmpty();
  }

  @Test
  void sseChunksArriveThroughTheProxyBeforeTheUpstreamStreamHasFinished() throws Exception {
    serveWithAModel(
        Servers.fakeShimmy(FakeShimmy.TOKEN_DELAY_MS + "=400", FakeShimmy.TOKENS + "=6"));
    awaitReady();
    Request request =
        new Request.Builder()
            .url(api.url("/v1/chat/completions"))
            .post(
                RequestBody.create(
                    "{\"model\": \""
                        + PHI_ID
                        + "\", \"stream\": true, \"max_tokens\": 6, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                    Api.JSON))
            .build();
    List<Long> arrivals = new ArrayList<>();
    long start = System.nanoTime();
    try (Response response = Api.client().newCall(request).execute()) {
      assertThat(response.header("Content-Type")).startsWith("text/event-stream");
      BufferedSource source = response.body().source();
      String line;
      while ((line = source.readUtf8Line()) != null) {
        if (line.startsWith("data: {")) {
          arrivals.add((System.nanoTime() - start) / 1_000_000);
        }
      }
    }

    assertThat(arrivals).hasSizeGreaterThanOrEqualTo(6);
    assertThat(arrivals.get(arrivals.size() - 1) - arrivals.get(0)).isGreaterThan(1200);
  }

  @Test
  void theWatcherServesAModelFileCopiedIntoTheDirectory() throws Exception {
    serveWithAModel(Servers.fakeShimmy());
    awaitReady();
    Path outside = FakeShimmy.writeGguf(tmp.resolve("copied.Q8_0.gguf"), 8192);

    Files.move(outside, modelDir.resolve("copied.Q8_0.gguf"), StandardCopyOption.ATOMIC_MOVE);

    Await.until(
        Duration.ofSeconds(90),
        "the copied model served",
        () -> servedIds().contains("copied.q8-0"));
    assertThat(servedIds()).contains(PHI_ID);
  }

  @Test
  void preloadPullsTheDeclaredModelsBeforeShimmyStarts() {
    startServer(Servers.fakeShimmy(), "--pull", TINYLLAMA_REF);

    assertThat(modelDir.resolve(TINYLLAMA_FILE)).exists();
    assertThat(api.get("/v1/api/models").body()).contains(TINYLLAMA_ID);
    Await.until(
        Duration.ofSeconds(60),
        "the preloaded model served",
        () -> servedIds().contains(TINYLLAMA_ID));
  }

  @Test
  void anIdleBackendListsNoModelsAndRefusesOtherProxiedRequests() {
    startServer(Servers.fakeShimmy());

    assertThat(health().path("backend").path("state").asString()).isEqualTo("idle");
    assertThat(health().path("status").asString()).isEqualTo("ok");
    Api.Reply models = api.get("/v1/models");
    assertThat(models.status()).isEqualTo(200);
    assertThat(models.json().path("data").size()).isZero();
    Api.Reply chat = api.postJson("/v1/chat/completions", "{}");
    assertThat(chat.status()).isEqualTo(503);
    assertThat(chat.code()).isEqualTo("backend_unavailable");
    assertThat(api.get("/").json().path("name").asString()).isEqualTo("shimmy-pull");
  }

  @Test
  void theMaxBodySizeOptionRefusesDeclaredAndChunkedBodiesOverItWith413() {
    serveWithAModel(Servers.fakeShimmy(), "--max-body-bytes", "1000");
    awaitReady();
    byte[] chunk = "x".repeat(500).getBytes(StandardCharsets.UTF_8);
    RequestBody chunked =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return Api.JSON;
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            for (int i = 0; i < 3; i++) {
              sink.write(chunk);
              sink.flush();
            }
          }
        };

    Api.Reply declared =
        api.send(
            new Request.Builder()
                .url(api.url("/v1/chat/completions"))
                .post(RequestBody.create(new byte[1001], Api.JSON))
                .build());
    Api.Reply streamed =
        api.send(new Request.Builder().url(api.url("/v1/chat/completions")).post(chunked).build());

    assertThat(declared.status()).isEqualTo(413);
    assertThat(declared.code()).isEqualTo("payload_too_large");
    assertThat(streamed.status()).isEqualTo(413);
    assertThat(streamed.code()).isEqualTo("payload_too_large");
  }
}
