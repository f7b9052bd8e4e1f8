package io.github.shimmypull.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java scan and Shimmy's own {@code list --short} (here the fake's) name the same ids. */
class DiscoveryAgreementTest {

  @TempDir Path tmp;

  private static List<String> ids(List<DiscoveredModel> models) {
    return models.stream().map(DiscoveredModel::id).toList();
  }

  @Test
  void scanAndCliAgreeOnTrickyFixtures() throws Exception {
    Path dir = tmp.resolve("models");
    FakeShimmy.writeGguf(dir.resolve("Llama-3.2-1B-Instruct-Q4_K_M.gguf"));
    FakeShimmy.writeGguf(dir.resolve("My Model_v2.GGUF"));
    FakeShimmy.writeGguf(dir.resolve("UPPER_case Name.gguf"));
    Files.writeString(dir.resolve("downloading.gguf.part"), "x");
    FakeShimmy.writeGguf(dir.resolve(".shimmy-pull/partial/hidden.gguf"));
    FakeShimmy.writeGguf(dir.resolve("split/Big-Q8_0-00001-of-00003.gguf"));
    FakeShimmy.writeGguf(dir.resolve("split/Big-Q8_0-00002-of-00003.gguf"));
    FakeShimmy.writeGguf(dir.resolve("split/Big-Q8_0-00003-of-00003.gguf"));
    FakeShimmy.writeGguf(dir.resolve("lone-00001-of-00002.gguf"));
    FakeShimmy.writeGguf(dir.resolve("phi3.gguf"));
    FakeShimmy.writeGguf(dir.resolve("phi3-lora.gguf"));
    FakeShimmy.writeGguf(dir.resolve("a/b/c/depth-three.gguf"));
    FakeShimmy.writeGguf(dir.resolve("a/b/c/d/depth-four.gguf"));
    FakeShimmy.writeGguf(dir.resolve("x/dup.gguf"));
    FakeShimmy.writeGguf(dir.resolve("y/DUP.gguf"));
    Files.writeString(dir.resolve("weights.safetensors"), "x");
    Files.writeString(dir.resolve("tokenizer.safetensors"), "x");
    Files.writeString(dir.resolve("qwen.bin"), "x");
    Files.writeString(dir.resolve("notes.txt"), "x");
    FakeShimmy.writeGguf(dir.resolve("whisper-models/w.gguf"));

    List<String> scanned = ids(new ScanDiscoveryRunner().discover(dir));
    ShimmyLauncher launcher = ShimmyLauncher.newBuilder(FakeShimmy.command()).build();
    List<String> listed =
        ids(new CliDiscoveryRunner(launcher, Duration.ofSeconds(60)).discover(dir));

    assertThat(scanned)
        .containsExactly(
            "big-q8-0",
            "depth-three",
            "dup",
            "llama-3.2-1b-instruct-q4-k-m",
            "my-model-v2",
            "phi3",
            "phi3-lora",
            "qwen",
            "upper-case-name",
            "weights");
    assertThat(listed).isEqualTo(scanned);
  }
}
