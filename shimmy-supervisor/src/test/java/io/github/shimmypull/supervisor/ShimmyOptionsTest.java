package io.github.shimmypull.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.supervisor.RestartMode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one options type: its defaults, its copies and its checks. */
class ShimmyOptionsTest {

  @Test
  void theDefaultsThatCoreBuildersOwnAreTheirsAndTheRestAreTheServerInterfaces() {
    ShimmyOptions defaults = ShimmyOptions.defaults();

    assertThat(defaults.readyTimeout()).isSameAs(PullCoordinator.DEFAULT_READY_TIMEOUT);
    assertThat(defaults.maxBodyBytes()).isEqualTo(ShimmyHttpApi.DEFAULT_MAX_BODY_BYTES);
    assertThat(defaults.diskReserveBytes())
        .isEqualTo(HuggingFacePuller.DEFAULT_DISK_RESERVE_BYTES)
        .isEqualTo(1L << 30);
    assertThat(defaults.modelDir()).isEqualTo(Path.of("./models"));
    assertThat(defaults.shimmyCommand()).containsExactly("shimmy");
    assertThat(defaults.shimmyUrl()).isNull();
    assertThat(defaults.restartMode()).isEqualTo(RestartMode.BLUE_GREEN);
    assertThat(defaults.pull()).isEmpty();
    assertThat(defaults.maxLoadedModels()).isEqualTo(1);
    assertThat(defaults.maxLoadedBytes()).as("no limit").isZero();
    assertThat(defaults.maxQueue()).isEqualTo(64);
    assertThat(defaults.queueTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(defaults.keepAlive()).as("never").isEqualTo(Duration.ofSeconds(-1));
    assertThat(defaults.bodyReadTimeout()).as("the edge's own").isNull();
    assertThat(defaults.proxyEnabled()).isTrue();
    assertThat(defaults.basePath()).isEmpty();
  }

  @Test
  void aBuilderFromOptionsKeepsEveryOptionAndChangesOnlyWhatItSets() {
    ShimmyOptions options =
        ShimmyOptions.newBuilder()
            .modelDir(Path.of("/m"))
            .shimmyUrl(URI.create("http://shimmy:11435"))
            .pull(List.of("acme/tiny-GGUF:Q4_K_M"))
            .diskReserveBytes(0)
            .bodyReadTimeout(Duration.ofSeconds(5))
            .adminToken("s3cret")
            .build();

    ShimmyOptions changed = options.toBuilder().maxLoadedModels(3).build();

    assertThat(changed)
        .usingRecursiveComparison()
        .ignoringFields("maxLoadedModels")
        .isEqualTo(options);
    assertThat(changed.maxLoadedModels()).isEqualTo(3);
    assertThat(options.maxLoadedModels()).as("the original is immutable").isEqualTo(1);
    assertThat(options.toString()).doesNotContain("s3cret");
  }

  @Test
  void theBasePathIsNormalisedOnceForEveryAdapter() {
    assertThat(ShimmyOptions.newBuilder().basePath(" shimmy/ ").build().basePath())
        .isEqualTo("/shimmy");
    assertThat(ShimmyOptions.newBuilder().basePath("/").build().basePath()).isEmpty();
    assertThat(ShimmyOptions.normaliseBasePath("/a/b//")).isEqualTo("/a/b");
  }

  @Test
  void invalidValuesAreRefusedNamingTheOption() {
    assertThatThrownBy(() -> ShimmyOptions.newBuilder().readyTimeout(Duration.ZERO))
        .hasMessageContaining("readyTimeout");
    assertThatThrownBy(() -> ShimmyOptions.newBuilder().diskReserveBytes(-1))
        .hasMessageContaining("diskReserveBytes");
    assertThatThrownBy(() -> ShimmyOptions.newBuilder().maxBodyBytes(0))
        .hasMessageContaining("maxBodyBytes");
    assertThatThrownBy(() -> ShimmyOptions.newBuilder().shimmyUrl(URI.create("ftp://x")))
        .hasMessageContaining("shimmyUrl");
    assertThatThrownBy(() -> ShimmyOptions.newBuilder().bodyReadTimeout(Duration.ZERO))
        .hasMessageContaining("bodyReadTimeout");
    assertThatThrownBy(() -> ShimmyOptions.newBuilder().pull(List.of("not a repo")))
        .hasMessageContaining("not a repo");
  }
}
