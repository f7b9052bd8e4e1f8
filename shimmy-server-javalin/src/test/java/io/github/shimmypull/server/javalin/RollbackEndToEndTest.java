package io.github.shimmypull.server.javalin;

import static io.github.shimmypull.server.javalin.support.Hub.OTHER_FILE;
import static io.github.shimmypull.server.javalin.support.Hub.OTHER_ID;
import static io.github.shimmypull.server.javalin.support.Hub.OTHER_REF;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.server.javalin.support.Api;
import io.github.shimmypull.server.javalin.support.Hub;
import io.github.shimmypull.server.javalin.support.Servers;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A pulled model Shimmy cannot start with, end to end: the server jar's front server, a fake
 * Hugging Face and the fake Shimmy as a real child process that exits 1 when its scan finds the new
 * model.
 */
class RollbackEndToEndTest {

  private static final String SERVED_ID = "phi-2.q4-k-m";

  @TempDir Path tmp;
  private Path modelDir;
  private Hub hub;
  private ShimmyServer server;
  private Api api;

  @BeforeEach
  void start() {
    modelDir = tmp.resolve("models");
    hub = Hub.start();
    FakeShimmy.writeGguf(modelDir.resolve("phi-2.Q4_K_M.gguf"), 4096);
    server =
        Servers.serve(
            modelDir,
            hub,
            Servers.fakeShimmy(FakeShimmy.REFUSE_MODEL + "=" + OTHER_ID),
            "--max-loaded-models",
            "2");
    api = Servers.api(server);
    Await.until(
        Duration.ofSeconds(60), "the initial model served", () -> servedIds().contains(SERVED_ID));
    // /v1/models lists what discovery finds; the instance itself starts in the background.
    Await.until(
        Duration.ofSeconds(60), "the initial model's instance ready", this::servedInstanceReady);
  }

  private boolean servedInstanceReady() {
    for (JsonNode instance : api.get("/v1/health").json().path("instances")) {
      if (instance.path("model").asString().equals(SERVED_ID)
          && instance.path("state").asString().equals("ready")) {
        return true;
      }
    }
    return false;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    hub.close();
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
  void aModelShimmyCannotStartWithEndsTheStreamWithWhyAndTheOldModelKeepsServing()
      throws Exception {
    long pidBefore = api.get("/v1/health").json().path("backend").path("pid").asLong();

    List<String> lines =
        api.streamLines("/v1/api/pull", "{\"model\": \"" + OTHER_REF + "\"}", null, line -> {});

    List<String> statuses = lines.stream().map(l -> Api.json(l).path("status").asString()).toList();
    assertThat(statuses)
        .contains("downloading", "restarting")
        .endsWith("error")
        .doesNotContain("complete");
    JsonNode error = Api.json(lines.get(lines.size() - 1));
    assertThat(error.path("code").asString()).isEqualTo("backend_failed");
    assertThat(error.path("error").asString())
        .contains("exit code 1")
        .contains("Error: failed to start with model '" + OTHER_ID + "'")
        .contains("still serving [" + SERVED_ID + "]")
        .contains(OTHER_FILE + " was moved to " + modelDir.resolve(".shimmy-pull/quarantine"));

    assertThat(servedIds()).containsExactly(SERVED_ID);
    Api.Reply chat =
        api.postJson(
            "/v1/chat/completions",
            "{\"model\": \""
                + SERVED_ID
                + "\", \"stream\": false, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
    assertThat(chat.status()).isEqualTo(200);
    assertThat(chat.json().path("choices").get(0).path("message").path("content").asString())
        .contains(SERVED_ID);

    Api.Reply health = api.get("/v1/health");
    assertThat(health.status()).isEqualTo(200);
    JsonNode backend = health.json().path("backend");
    assertThat(backend.path("state").asString()).isEqualTo("ready");
    assertThat(backend.path("pid").asLong()).isEqualTo(pidBefore);
    assertThat(health.json().path("instances").toString())
        .as("the old model's instance was not touched")
        .contains(SERVED_ID)
        .doesNotContain(OTHER_ID);
    assertThat(health.json().path("models").toString())
        .contains(SERVED_ID)
        .doesNotContain(OTHER_ID);

    assertThat(modelDir.resolve(OTHER_FILE)).doesNotExist();
    assertThat(modelDir.resolve(".shimmy-pull/quarantine").resolve(OTHER_FILE)).exists();
    assertThat(api.get("/v1/api/models").body()).contains(SERVED_ID).doesNotContain(OTHER_ID);

    String metrics = api.get("/v1/api/metrics").body();
    assertThat(metric(metrics, "shimmy_pull_bytes_total"))
        .isEqualTo(
            (double) Files.size(modelDir.resolve(".shimmy-pull/quarantine").resolve(OTHER_FILE)));
    assertThat(metrics)
        .as("downloaded bytes are counted by one meter")
        .doesNotContain("shimmy_pull_downloaded_bytes");
  }

  /** The value of the first sample of {@code name} in Prometheus text. */
  private static double metric(String text, String name) {
    return text.lines()
        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in metrics"));
  }
}
