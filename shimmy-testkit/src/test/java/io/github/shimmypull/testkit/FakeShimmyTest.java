package io.github.shimmypull.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FakeShimmyTest {

  @TempDir Path tmp;

  private final List<Process> started = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void killChildren() throws InterruptedException {
    for (Process p : started) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** A finished run: exit code, stdout, stderr. */
  record Run(int exit, String out, String err) {}

  private ProcessBuilder builder(Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>(FakeShimmy.command());
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SHIMMY_") || k.startsWith("FAKE_SHIMMY"));
    pb.environment().remove("OLLAMA_MODELS");
    pb.environment().remove("USERPROFILE");
    pb.environment().put("HOME", tmp.resolve("home").toString());
    pb.environment().putAll(env);
    return pb;
  }

  private Run run(Map<String, String> env, String... args) throws Exception {
    Process p = builder(env, args).start();
    started.add(p);
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(
        p.exitValue(),
        new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private Path models() {
    Path dir = tmp.resolve("models-root");
    FakeShimmy.writeGguf(dir.resolve("Tiny_Model.Q4_K_M.gguf"));
    FakeShimmy.writeGguf(dir.resolve("sub/phi-00001-of-00002.gguf"));
    FakeShimmy.writeGguf(dir.resolve("sub/phi-00002-of-00002.gguf"));
    return dir;
  }

  private Process serve(Path modelDir, int port, Map<String, String> env) throws Exception {
    Process p =
        builder(env, "serve", "--bind", "127.0.0.1:" + port, "--model-dirs", modelDir.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("out-" + port + ".txt").toFile())
            .start();
    started.add(p);
    return p;
  }

  private void awaitHealth(int port, Process p) {
    Await.until(
        Duration.ofSeconds(30),
        "fake shimmy serves /health",
        () -> {
          assertThat(p.isAlive()).as("fake shimmy still running").isTrue();
          try {
            return get(port, "/health").statusCode() == 200;
          } catch (IOException notYet) {
            throw new UncheckedIOException(notYet);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(int port, String path, String json) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void versionPrintsShimmy250() throws Exception {
    Run run = run(Map.of(), "--version");
    assertThat(run.exit()).isZero();
    assertThat(run.out()).isEqualTo("shimmy 2.5.0\n");
  }

  @Test
  void listShortPrintsTheSortedIdsOfTheScan() throws Exception {
    Path dir = models();
    FakeShimmy.writeGguf(dir.resolve("lone-00001-of-00003.gguf"));
    Files.writeString(dir.resolve("partial.gguf.part"), "x");
    Run run = run(Map.of(), "list", "--short", "--model-dirs", dir.toString());
    assertThat(run.exit()).isZero();
    assertThat(run.out().lines()).containsExactly("phi", "tiny-model.q4-k-m");
  }

  @Test
  void listFollowsSymlinkedFilesKeepingTheLinkNameAndDropsBrokenOnes() throws Exception {
    Path real = FakeShimmy.writeGguf(tmp.resolve("store/blob-1234"));
    Path dir = tmp.resolve("linked/models");
    Files.createDirectories(dir);
    Files.createSymbolicLink(dir.resolve("Linked_Model.gguf"), real);
    Files.createSymbolicLink(dir.resolve("broken.gguf"), tmp.resolve("store/missing"));
    Files.createSymbolicLink(
        dir.resolve("big-00001-of-00002.gguf"), FakeShimmy.writeGguf(tmp.resolve("store/s1")));
    Files.createSymbolicLink(
        dir.resolve("big-00002-of-00002.gguf"), FakeShimmy.writeGguf(tmp.resolve("store/s2")));
    Run run = run(Map.of(), "list", "--short", "--model-dirs", dir.toString());
    assertThat(run.exit()).isZero();
    assertThat(run.out().lines()).containsExactly("big", "linked-model");
  }

  @Test
  void faultModelLimitsTheCrashKnobsToAServeThatFindsThatModel() throws Exception {
    int port = freePort();
    Process p =
        serve(
            models(),
            port,
            Map.of(FakeShimmy.CRASH_AFTER_REQUESTS, "1", FakeShimmy.FAULT_MODEL, "not-here"));
    awaitHealth(port, p);
    String body = "{\"model\":\"phi\",\"prompt\":\"x\",\"stream\":false}";
    assertThat(post(port, "/api/generate", body).statusCode()).isEqualTo(200);
    assertThat(p.isAlive()).isTrue();
  }

  @Test
  void listAlsoScansHomeCachesCwdModelsAndTheBaseGgufLikeShimmy() throws Exception {
    FakeShimmy.writeGguf(tmp.resolve("home/models/from-home.gguf"));
    FakeShimmy.writeGguf(tmp.resolve("models/from-cwd.gguf"));
    FakeShimmy.writeGguf(tmp.resolve("base/base-file.gguf"));
    Run run =
        run(
            Map.of("SHIMMY_BASE_GGUF", tmp.resolve("base/base-file.gguf").toString()),
            "list",
            "-s",
            "--model-dirs",
            models().toString());
    assertThat(run.out().lines())
        .containsExactly(
            "base-file", "from-cwd", "from-home", "phi", "tiny-model.q4-k-m", "tinyllama-1.1b");
  }

  @Test
  void discoverPrintsTheFoundModelsWithTheirPaths() throws Exception {
    Path dir = models();
    Run run = run(Map.of(), "discover", "--model-dirs", dir.toString());
    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .startsWith("🔍 Refreshing model discovery...\n✅ Found 2 models:\n")
        .contains(
            "  phi [0MB]\n    Base: \"" + dir.resolve("sub/phi-00001-of-00002.gguf") + "\"\n");
  }

  @Test
  void serveExitsOneWithThePleaseBlockWhenThereAreNoModels() throws Exception {
    Files.createDirectories(tmp.resolve("empty"));
    Run run =
        run(
            Map.of(),
            "serve",
            "--bind",
            "127.0.0.1:" + freePort(),
            "--model-dirs",
            tmp.resolve("empty").toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).startsWith("❌ No models available. Please:\n");
    assertThat(run.out()).contains("🚀 Starting server on 127.0.0.1:").doesNotContain("Ready");
  }

  @Test
  void serveRejectsAHostnameBindAddressWithExitOne() throws Exception {
    Run run =
        run(Map.of(), "serve", "--bind", "localhost:8080", "--model-dirs", models().toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).startsWith("❌ Failed to resolve bind address 'localhost:8080'");
  }

  @Test
  void servePrintsReadyThenFailsWithExitOneWhenThePortIsTaken() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
      Run run =
          run(
              Map.of(),
              "serve",
              "--bind",
              "127.0.0.1:" + taken.getLocalPort(),
              "--model-dirs",
              models().toString());
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.out()).contains("✅ Ready to serve requests");
      assertThat(run.err()).isEqualTo("Error: Address already in use (os error 98)\n");
    }
  }

  @Test
  void servePrintsTheReadyBlockAndServesHealthAndModels() throws Exception {
    int port = freePort();
    Process p = serve(models(), port, Map.of());
    awaitHealth(port, p);
    HttpResponse<String> health = get(port, "/health");
    assertThat(health.body())
        .startsWith("{\"compatibility\":{\"cors\":true,\"openai\":true},")
        .contains("\"models\":{\"discovered\":2,\"manual\":0,\"total\":2}")
        .contains("\"status\":\"ok\"")
        .contains("\"version\":\"2.5.0\"");
    assertThat(get(port, "/v1/models").body())
        .matches(
            "\\{\"object\":\"list\",\"data\":\\[\\{\"id\":\"phi\",\"object\":\"model\",\"created\":\\d+,"
                + "\"owned_by\":\"shimmy\"\\},\\{\"id\":\"tiny-model.q4-k-m\".*");
    assertThat(get(port, "/api/tags").body()).contains("\"name\":\"phi\",\"model\":\"phi\"");
    assertThat(get(port, "/nope").statusCode()).isEqualTo(404);
    p.destroy();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    String out = Files.readString(tmp.resolve("out-" + port + ".txt"));
    assertThat(out)
        .contains(
            "🚀 Starting server on 127.0.0.1:"
                + port
                + "\n📦 Models: 2 available\n"
                + "✅ Ready to serve requests\n");
  }

  @Test
  void chatStreamsByDefaultWithTheExactChunkSequence() throws Exception {
    int port = freePort();
    Process p = serve(models(), port, Map.of());
    awaitHealth(port, p);
    HttpResponse<String> r =
        post(
            port,
            "/v1/chat/completions",
            "{\"model\":\"phi\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).contains("text/event-stream");
    String[] events = r.body().split("\n\n");
    assertThat(events).hasSize(6);
    assertThat(events[0])
        .matches(
            "data: \\{\"id\":\"chatcmpl-[0-9a-f]{32}\",\"object\":\"chat.completion.chunk\",\"created\":\\d+,"
                + "\"model\":\"phi\",\"choices\":\\[\\{\"index\":0,\"delta\":\\{\"content\":null,"
                + "\"role\":\"assistant\"\\},\"finish_reason\":null\\}\\]\\}");
    assertThat(events[1])
        .contains("\"delta\":{\"content\":\"Hello\",\"role\":null},\"finish_reason\":null");
    assertThat(events[2]).contains("\"delta\":{\"content\":\" from\",\"role\":null}");
    assertThat(events[3]).contains("\"delta\":{\"content\":\" phi\",\"role\":null}");
    assertThat(events[4])
        .contains("\"delta\":{\"content\":null,\"role\":null},\"finish_reason\":\"stop\"");
    assertThat(events[5]).isEqualTo("data: [DONE]");
  }

  @Test
  void theFirstModelUsedIsPinnedAndTheRequestedIdIsEchoed() throws Exception {
    int port = freePort();
    Process p = serve(models(), port, Map.of());
    awaitHealth(port, p);
    HttpResponse<String> first =
        post(
            port,
            "/v1/chat/completions",
            "{\"model\":\"phi\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    HttpResponse<String> second =
        post(
            port,
            "/v1/chat/completions",
            "{\"model\":\"tiny-model.q4-k-m\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(first.body())
        .contains("\"content\":\"Hello from phi\"")
        .contains("\"model\":\"phi\"");
    assertThat(second.body())
        .contains("\"content\":\"Hello from phi\"")
        .contains("\"model\":\"tiny-model.q4-k-m\"");
  }

  @Test
  void unknownModelIs404WithTheAvailableIdsAndEmptyBodyOnApiGenerate() throws Exception {
    int port = freePort();
    Process p = serve(models(), port, Map.of());
    awaitHealth(port, p);
    HttpResponse<String> chat =
        post(
            port,
            "/v1/chat/completions",
            "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(chat.statusCode()).isEqualTo(404);
    assertThat(chat.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"model_not_found\",\"message\":\"Model 'nope' not found. Available"
                + " models: [\\\"phi\\\", \\\"tiny-model.q4-k-m\\\"]\",\"param\":\"model\","
                + "\"type\":\"invalid_request_error\"}}");
    HttpResponse<String> gen = post(port, "/api/generate", "{\"model\":\"nope\",\"prompt\":\"x\"}");
    assertThat(gen.statusCode()).isEqualTo(404);
    assertThat(gen.body()).isEmpty();
    HttpResponse<String> empty =
        post(port, "/v1/chat/completions", "{\"model\":\"phi\",\"messages\":[]}");
    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(empty.body()).contains("\"code\":\"invalid_messages\"");
  }

  @Test
  void apiGenerateStreamsRawTokensByDefaultAndAnswersJsonWhenStreamIsFalse() throws Exception {
    int port = freePort();
    Process p = serve(models(), port, Map.of());
    awaitHealth(port, p);
    assertThat(post(port, "/api/generate", "{\"model\":\"phi\",\"prompt\":\"x\"}").body())
        .isEqualTo("data: Hello\n\ndata:  from\n\ndata:  phi\n\ndata: [DONE]\n\n");
    assertThat(
            post(port, "/api/generate", "{\"model\":\"phi\",\"prompt\":\"x\",\"stream\":false}")
                .body())
        .isEqualTo("{\"response\":\"Hello from phi\"}");
    HttpResponse<String> completion =
        post(
            port,
            "/v1/completions",
            "{\"model\":\"phi\",\"prompt\":\"say hi\",\"stream\":true,\"max_tokens\":1}");
    assertThat(completion.body())
        .contains("\"text\":\"Hello\"")
        .contains("\"object\":\"text_completion\"")
        .contains("\"prompt_tokens\":2");
  }

  @Test
  void crashAfterRequestsExitsWithTheConfiguredCode() throws Exception {
    int port = freePort();
    Process p =
        serve(
            models(),
            port,
            Map.of(FakeShimmy.CRASH_AFTER_REQUESTS, "2", FakeShimmy.CRASH_EXIT_CODE, "42"));
    awaitHealth(port, p);
    String body = "{\"model\":\"phi\",\"prompt\":\"x\",\"stream\":false}";
    assertThat(post(port, "/api/generate", body).statusCode()).isEqualTo(200);
    try {
      post(port, "/api/generate", body);
    } catch (IOException expected) {
      // the process died before answering
    }
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(42);
  }

  @Test
  void crashMidStreamOnSendsTheFirstTokenOfAMatchingStreamThenExitsAndServesOtherRequests()
      throws Exception {
    int port = freePort();
    Process p =
        serve(
            models(),
            port,
            Map.of(FakeShimmy.CRASH_MID_STREAM_ON, "boom", FakeShimmy.CRASH_EXIT_CODE, "42"));
    awaitHealth(port, p);

    HttpResponse<String> ordinary =
        post(
            port,
            "/v1/chat/completions",
            "{\"model\":\"phi\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    String received = "";
    try {
      received =
          post(
                  port,
                  "/v1/chat/completions",
                  "{\"model\":\"phi\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"boom\"}]}")
              .body();
    } catch (IOException expected) {
      // the stream broke off: the process died after the first token
    }

    assertThat(ordinary.body()).contains("[DONE]");
    assertThat(received).doesNotContain("[DONE]");
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(42);
  }

  @Test
  void refuseModelExitsOneWithAnErrorLineWhenTheScanFindsAMatchingId() throws Exception {
    Path dir = models();
    Map<String, String> refuse = Map.of(FakeShimmy.REFUSE_MODEL, "broken");
    Run fine = run(refuse, "list", "--short", "--model-dirs", dir.toString());
    assertThat(fine.exit()).isZero();

    FakeShimmy.writeGguf(dir.resolve("Broken_Model.Q4_K_M.gguf"));
    int port = freePort();
    Process p = serve(dir, port, refuse);

    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("serve exited").isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
    assertThat(Files.readString(tmp.resolve("out-" + port + ".txt")))
        .startsWith("Error: failed to start with model 'broken-model.q4-k-m'")
        .doesNotContain("Ready");
  }

  @Test
  void refuseModelServesNormallyWhenNoScannedIdMatches() throws Exception {
    int port = freePort();
    Process p = serve(models(), port, Map.of(FakeShimmy.REFUSE_MODEL, "broken"));
    awaitHealth(port, p);
    assertThat(get(port, "/v1/models").body()).contains("tiny-model.q4-k-m");
  }

  @Test
  void readyNoBindPrintsReadyButNeverServes() throws Exception {
    int port = freePort();
    Process p = serve(models(), port, Map.of(FakeShimmy.READY_NO_BIND, "true"));
    Path log = tmp.resolve("out-" + port + ".txt");
    Await.until(
        Duration.ofSeconds(30),
        "the ready lines in the log",
        () -> {
          try {
            return Files.readString(log).contains("GET  /v1/models");
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    assertThat(Files.readString(log)).contains("Ready to serve requests");
    Thread.sleep(300);
    assertThat(p.isAlive()).isTrue();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> get(port, "/health"))
        .isInstanceOf(IOException.class);
  }

  @Test
  void sigtermEndsTheProcessAtOnceWithExit143() throws Exception {
    int port = freePort();
    Process p = serve(models(), port, Map.of());
    awaitHealth(port, p);
    p.destroy();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(143);
  }

  @Test
  void writeGgufWritesTheMagicAndPadsToTheSize() throws Exception {
    Path file = FakeShimmy.writeGguf(tmp.resolve("a/b.gguf"), 1000);
    byte[] bytes = Files.readAllBytes(file);
    assertThat(bytes).hasSize(1000);
    assertThat(new String(bytes, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("GGUF");
  }
}
