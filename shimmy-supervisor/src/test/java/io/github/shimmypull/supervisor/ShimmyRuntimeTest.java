package io.github.shimmypull.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.FakeShimmy;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The composition root wired against the fake Hub and the fake Shimmy as a child process. */
class ShimmyRuntimeTest {

  private static final String REPO = "acme/private-GGUF";

  @TempDir Path tmp;
  private MockWebServer server;
  private FakeHuggingFace hub;

  @BeforeEach
  void hub() throws Exception {
    hub =
        FakeHuggingFace.builder()
            .file(REPO, "tiny.Q4_K_M.gguf", FakeFile.seeded(32 * 1024, 7))
            .privateRepo(REPO)
            .token("hf_secret")
            .build();
    server = new MockWebServer();
    server.setDispatcher(hub);
    server.start(InetAddress.getByName("127.0.0.1"), 0);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private ShimmyRuntime.Builder runtime(Map<String, String> env) {
    return ShimmyRuntime.builder()
        .modelDir(tmp.resolve("models"))
        .shimmyCommand(FakeShimmy.command())
        .readyTimeout(Duration.ofSeconds(60))
        .environment(env)
        .pullerCustomizer(p -> p.maxAttempts(1).diskReserveBytes(0));
  }

  @Test
  void theHubEndpointAndTokenComeFromHfEndpointAndHfTokenByDefault() throws Exception {
    String endpoint = server.url("/").toString();
    try (ShimmyRuntime runtime =
        runtime(Map.of("HF_ENDPOINT", endpoint, "HF_TOKEN", "hf_secret")).build()) {
      runtime.start();
      assertThat(runtime.supervisor().state().status()).isEqualTo(BackendStatus.IDLE);

      PullResult result =
          runtime.coordinator().submit(ModelRef.parse(REPO + ":Q4_K_M"), false).await();

      assertThat(result.modelId()).isEqualTo("tiny.q4-k-m");
      assertThat(runtime.supervisor().state().models()).contains("tiny.q4-k-m");
      assertThat(runtime.localModels().list())
          .extracting(m -> m.id())
          .containsExactly("tiny.q4-k-m");
    }
  }

  @Test
  void withoutTheTokenAPrivateRepoIsNotFound() {
    try (ShimmyRuntime runtime =
        runtime(Map.of("HF_ENDPOINT", server.url("/").toString())).build()) {
      runtime.start();

      assertThatThrownBy(
              () -> runtime.coordinator().submit(ModelRef.parse(REPO + ":Q4_K_M"), false))
          .isInstanceOf(PullException.class)
          .extracting(e -> ((PullException) e).reason())
          .isEqualTo(PullException.Reason.NOT_FOUND);
    }
  }

  @Test
  void startFailsWhenADeclaredModelCannotBePulledAndShimmyIsNotStarted() {
    try (ShimmyRuntime runtime =
        runtime(Map.of())
            .hfEndpoint(server.url("/").toString())
            .pull(List.of("acme/missing-GGUF:Q4_K_M"))
            .build()) {

      assertThatThrownBy(runtime::start)
          .isInstanceOf(PullException.class)
          .hasMessageContaining("acme/missing-GGUF");
      assertThat(runtime.supervisor().state().status())
          .isNotIn(BackendStatus.STARTING, BackendStatus.READY);
    }
  }
}
