package io.github.shimmypull.server.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.server.javalin.support.Api;
import io.github.shimmypull.server.javalin.support.Hub;
import io.github.shimmypull.server.javalin.support.Servers;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every answer comes from the model the request names, through the server jar, on both engines (the
 * Netty edge, and the Javalin plugin serving the port), with the fake Shimmy pinning the first
 * model it loads as real Shimmy does; and pulls change only what they touch while requests flow.
 */
class CorrectModelEndToEndTest {

  private static final List<String> MODELS = List.of("alpha", "beta", "gamma");

  @TempDir Path modelDir;

  private void threeModels() {
    for (String model : MODELS) {
      FakeShimmy.writeGguf(modelDir.resolve(model + ".gguf"));
    }
  }

  @Test
  void alternatingRequestsThroughTheEdgeAreAnsweredByTheModelTheyNameWithRoomForAll() {
    threeModels();
    try (Hub hub = Hub.start();
        ShimmyServer server =
            Servers.serve(modelDir, hub, Servers.fakeShimmy(), "--max-loaded-models", "3")) {
      alternate(Servers.api(server), 2);
      assertThat(server.runtime().supervisor().instances())
          .extracting(InstanceState::model)
          .containsExactlyElementsOf(MODELS);
    }
  }

  @Test
  void alternatingRequestsThroughTheJavalinPluginAreAnsweredByTheModelTheyNameWithRoomForOne() {
    threeModels();
    try (Hub hub = Hub.start();
        ShimmyServer server =
            Servers.serve(
                modelDir,
                hub,
                Servers.fakeShimmy(),
                "--proxy-engine",
                "javalin",
                "--max-loaded-models",
                "1")) {
      alternate(Servers.api(server), 1);
    }
  }

  /** Each round: for each model, chat without and with streaming, completions, api/generate. */
  private static void alternate(Api api, int rounds) {
    for (int round = 0; round < rounds; round++) {
      for (String model : MODELS) {
        String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        answeredBy(
            model,
            api.postJson(
                "/v1/chat/completions",
                "{\"model\":\"" + model + "\"," + messages + ",\"stream\":false}"));
        answeredBy(
            model,
            api.postJson(
                "/v1/chat/completions",
                "{\"model\":\"" + model + "\"," + messages + ",\"stream\":true}"));
        answeredBy(
            model,
            api.postJson("/v1/chat/completions", "{\"model\":\"" + model + "\"," + messages + "}"));
        answeredBy(
            model,
            api.postJson("/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":\"hi\"}"));
        answeredBy(
            model,
            api.postJson(
                "/api/generate",
                "{\"model\":\"" + model + "\",\"prompt\":\"hi\",\"stream\":false}"));
      }
    }
  }

  /** The fake generates {@code Hello from <pinned id>}: the model's own id, and no other's. */
  private static void answeredBy(String model, Api.Reply reply) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
    assertThat(reply.body()).as("answered by " + model).contains(" " + model);
    for (String other : MODELS) {
      if (!other.equals(model)) {
        assertThat(reply.body())
            .as("a request for " + model + " answered by " + other)
            .doesNotContain(other);
      }
    }
  }

  @Test
  void pullsUnderLoadFailNoRequestLeaveOtherInstancesAloneAndReplaceTheRePulledOne()
      throws Exception {
    FakeShimmy.writeGguf(modelDir.resolve("alpha.gguf"));
    try (Hub hub = Hub.start();
        ShimmyServer server =
            Servers.serve(modelDir, hub, Servers.fakeShimmy(), "--max-loaded-models", "3")) {
      Api api = Servers.api(server);
      assertThat(pull(api, Hub.OTHER_REF).path("model_id").asString()).isEqualTo(Hub.OTHER_ID);
      answeredBy(
          "alpha", api.postJson("/v1/completions", "{\"model\":\"alpha\",\"prompt\":\"hi\"}"));
      answeredBy(
          Hub.OTHER_ID,
          api.postJson(
              "/v1/completions", "{\"model\":\"" + Hub.OTHER_ID + "\",\"prompt\":\"hi\"}"));
      Map<String, Long> before = pids(server);

      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger ok = new AtomicInteger();
      List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      ExecutorService load = Executors.newFixedThreadPool(4);
      List<Future<?>> clients = new ArrayList<>();
      for (String model : List.of("alpha", Hub.OTHER_ID, "alpha", Hub.OTHER_ID)) {
        clients.add(
            load.submit(
                () -> {
                  while (running.get()) {
                    Api.Reply reply =
                        api.postJson(
                            "/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":\"hi\"}");
                    if (reply.status() == 200 && reply.body().contains(" " + model)) {
                      ok.incrementAndGet();
                    } else {
                      failures.add(model + ": " + reply.status() + " " + reply.body());
                    }
                  }
                }));
      }
      try {
        Await.until(Duration.ofSeconds(30), "requests flowing", () -> ok.get() > 20);
        assertThat(pull(api, Hub.TINYLLAMA_REF).path("model_id").asString())
            .isEqualTo(Hub.TINYLLAMA_ID);
        Map<String, Long> afterNewModel = pids(server);
        assertThat(afterNewModel)
            .as("a new model leaves running instances untouched")
            .containsAllEntriesOf(before);

        hub.fake().commit(Hub.OTHER_REPO, Map.of(Hub.OTHER_FILE, FakeFile.seeded(200 * 1024, 99)));
        assertThat(pull(api, Hub.OTHER_REF).path("downloaded").asBoolean()).isTrue();
        int okAtRePull = ok.get();
        Await.until(
            Duration.ofSeconds(30),
            "requests flowing after the re-pull",
            () -> ok.get() > okAtRePull + 20);
      } finally {
        running.set(false);
        for (Future<?> client : clients) {
          client.get();
        }
        load.shutdownNow();
      }

      Map<String, Long> after = pids(server);
      assertThat(failures).as("failed requests during the pulls").isEmpty();
      assertThat(after.get("alpha"))
          .as("alpha's instance is untouched")
          .isEqualTo(before.get("alpha"));
      assertThat(after.get(Hub.OTHER_ID))
          .as("the re-pulled model runs in a new instance")
          .isNotEqualTo(before.get(Hub.OTHER_ID));
      answeredBy(
          Hub.OTHER_ID,
          api.postJson(
              "/v1/completions", "{\"model\":\"" + Hub.OTHER_ID + "\",\"prompt\":\"hi\"}"));
    }
  }

  private static tools.jackson.databind.JsonNode pull(Api api, String ref) {
    Api.Reply reply = api.postJson("/v1/api/pull", "{\"model\":\"" + ref + "\",\"stream\":false}");
    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
    return reply.json();
  }

  private static Map<String, Long> pids(ShimmyServer server) {
    return server.runtime().supervisor().instances().stream()
        .filter(i -> i.pid() != null)
        .collect(Collectors.toMap(InstanceState::model, InstanceState::pid, (a, b) -> b));
  }
}
