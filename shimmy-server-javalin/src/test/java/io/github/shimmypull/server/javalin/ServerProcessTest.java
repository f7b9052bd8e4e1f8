package io.github.shimmypull.server.javalin;

import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_FILE;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_REF;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_REPO;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.edge.internal.Transport;
import io.github.shimmypull.server.javalin.support.Api;
import io.github.shimmypull.server.javalin.support.ChildJvm;
import io.github.shimmypull.server.javalin.support.Hub;
import io.github.shimmypull.server.javalin.support.Servers;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import io.github.shimmypull.testkit.HubFault;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The server jar's main as a separate JVM: killed with SIGKILL mid-pull, stopped with SIGTERM. */
class ServerProcessTest extends FrontServerFixture {

  private static final Pattern LISTENING =
      Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

  private ChildJvm serve(String... extra) {
    return serve(Map.of(), extra);
  }

  private ChildJvm serve(Map<String, String> env, String... extra) {
    String[] args =
        Stream.concat(
                Stream.of(
                    "--port", "0",
                    "--bind", "127.0.0.1",
                    "--model-dir", modelDir.toString(),
                    "--shimmy-command", Servers.fakeShimmy(),
                    "--hf-endpoint", hub.endpoint()),
                Stream.of(extra))
            .toArray(String[]::new);
    return ChildJvm.start(tmp, env, args);
  }

  private static Api apiOf(ChildJvm jvm) {
    int[] port = {0};
    Await.until(
        Duration.ofSeconds(60),
        "the server's 'listening on' line",
        () -> {
          Matcher m = LISTENING.matcher(jvm.stderr());
          if (m.find()) {
            port[0] = Integer.parseInt(m.group(1));
            return true;
          }
          assertThat(jvm.process().isAlive()).as("server exited: " + jvm.stderr()).isTrue();
          return false;
        });
    return Api.at("http://127.0.0.1:" + port[0]);
  }

  @Test
  void aServerKilledMidPullLeavesNoPartialModelAndTheNextPullResumes() throws Exception {
    hub.fake().inject(TINYLLAMA_REPO, TINYLLAMA_FILE, HubFault.stallAfter(1024 * 1024), 1);
    try (ChildJvm jvm = serve()) {
      Api api = apiOf(jvm);
      CompletableFuture.runAsync(
              () ->
                  api.streamLines(
                      "/v1/api/pull", "{\"model\": \"" + TINYLLAMA_REF + "\"}", null, l -> {}))
          .exceptionally(e -> null);
      Path sidecar = modelDir.resolve(".shimmy-pull").resolve(TINYLLAMA_FILE + ".part.json");
      Await.until(
          Duration.ofSeconds(30),
          "downloaded bytes recorded for a resume",
          () -> read(sidecar).matches("(?s).*\"done\"\\s*:\\s*[1-9].*"));

      jvm.kill();
    }

    try (Stream<Path> files = Files.list(modelDir)) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")))
          .noneMatch(n -> n.endsWith(".gguf") || n.endsWith(".bin") || n.endsWith(".safetensors"));
    }
    try (Stream<Path> files = Files.walk(modelDir.resolve(".shimmy-pull"))) {
      assertThat(files.filter(Files::isRegularFile).mapToLong(ServerProcessTest::size).sum())
          .isPositive();
    }

    hub.fake().clearRequests();
    try (ShimmyServer server = Servers.serve(modelDir, hub, Servers.fakeShimmy())) {
      Api.Reply resumed =
          Servers.api(server)
              .postJson(
                  "/v1/api/pull", "{\"model\": \"" + TINYLLAMA_REF + "\", \"stream\": false}");

      assertThat(resumed.status()).as(resumed.body()).isEqualTo(200);
      assertThat(resumed.json().path("sha256").asString())
          .isEqualTo(hub.fake().sha256(TINYLLAMA_REPO, TINYLLAMA_FILE));
      assertThat(hub.fake().cdnDownloads())
          .isNotEmpty()
          .allSatisfy(
              r ->
                  assertThat(r.getHeaders().get("Range"))
                      .startsWith("bytes=")
                      .doesNotStartWith("bytes=0-"));
      assertThat(Files.size(modelDir.resolve(TINYLLAMA_FILE))).isEqualTo(Hub.TINYLLAMA_SIZE);
    }
  }

  @Test
  void sigtermStopsTheServerAndShimmyWithIt() throws Exception {
    FakeShimmy.writeGguf(modelDir.resolve("phi-2.Q4_K_M.gguf"), 4096);
    long shimmyPid;
    try (ChildJvm jvm = serve()) {
      Api api = apiOf(jvm);
      Await.until(
          Duration.ofSeconds(60),
          "Shimmy ready",
          () ->
              api.get("/v1/health")
                  .json()
                  .path("backend")
                  .path("state")
                  .asString()
                  .equals("ready"));
      shimmyPid = api.get("/v1/health").json().path("backend").path("pid").asLong();
      assertThat(ProcessHandle.of(shimmyPid).map(ProcessHandle::isAlive)).contains(true);

      jvm.process().destroy();
      ChildJvm.Result ended = jvm.await(Duration.ofSeconds(60));

      assertThat(ended.exitCode()).isIn(0, 143);
    }
    Await.until(
        Duration.ofSeconds(10),
        "Shimmy gone",
        () -> !ProcessHandle.of(shimmyPid).map(ProcessHandle::isAlive).orElse(false));
    assertThat(ProcessHandle.of(shimmyPid).filter(ProcessHandle::isAlive))
        .isEqualTo(Optional.empty());
  }

  @Test
  void theEdgeRunsOnIoUringWhereTheKernelAllowsItAndOnNioWithNativeTransportsOff() {
    // The server jar bundles Netty's io_uring library for Linux x86-64: there it must load, and
    // only the kernel (or a seccomp profile) may refuse io_uring.
    boolean linuxX86 =
        System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux")
            && System.getProperty("os.arch").equals("amd64");
    if (linuxX86) {
      assertThat(String.valueOf(Transport.BEST.fallbackCause()))
          .doesNotContain("UnsatisfiedLinkError")
          .doesNotContain("ClassNotFoundException");
    }
    try (ChildJvm jvm = serve()) {
      Api api = apiOf(jvm);
      assertThat(api.get("/v1/health").status()).isEqualTo(200);
      assertThat(jvm.stderr()).contains("transport " + Transport.BEST.name() + ",");
    }

    try (ChildJvm jvm = serve(Map.of("JAVA_TOOL_OPTIONS", "-Dio.netty.transport.noNative=true"))) {
      Api api = apiOf(jvm);
      assertThat(api.get("/v1/health").status()).isEqualTo(200);
      assertThat(jvm.stderr())
          .contains("transport nio,")
          .contains("edge transport falls back to NIO: io_uring is unavailable");
    }
  }

  @Test
  void bindingToEveryAddressWithoutAnAdminTokenWarns() {
    try (ChildJvm jvm =
        ChildJvm.start(
            tmp,
            Map.of(),
            "--port",
            "0",
            "--bind",
            "0.0.0.0",
            "--model-dir",
            modelDir.toString(),
            "--shimmy-command",
            Servers.fakeShimmy())) {
      Await.until(
          Duration.ofSeconds(60),
          "the warning",
          () -> jvm.stderr().contains("without --admin-token"));
      assertThat(jvm.stderr()).contains("listening on http://0.0.0.0:");
    }
  }

  private static String read(Path file) {
    try {
      return Files.isRegularFile(file) ? Files.readString(file) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
