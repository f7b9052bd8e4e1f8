package io.github.shimmypull.core.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScanDiscoveryRunnerTest {

  @TempDir Path tmp;

  private final ScanDiscoveryRunner runner = new ScanDiscoveryRunner();

  private List<String> ids(Path dir) {
    return runner.discover(dir).stream().map(DiscoveredModel::id).toList();
  }

  @Test
  void namesFilesByShimmysRuleAndSortsTheIds() {
    Path dir = tmp.resolve("models");
    FakeShimmy.writeGguf(dir.resolve("Llama-3.2-1B-Instruct-Q4_K_M.gguf"));
    FakeShimmy.writeGguf(dir.resolve("My Model_v2.GGUF"));
    assertThat(ids(dir)).containsExactly("llama-3.2-1b-instruct-q4-k-m", "my-model-v2");
  }

  @Test
  void ignoresPartialDownloadsAndTheHiddenShimmyPullDirectory() throws Exception {
    Path dir = tmp.resolve("models");
    FakeShimmy.writeGguf(dir.resolve("a.gguf"));
    Files.writeString(dir.resolve("b.gguf.part"), "x");
    FakeShimmy.writeGguf(dir.resolve(".shimmy-pull/c.gguf"));
    assertThat(ids(dir)).containsExactly("a");
  }

  @Test
  void groupsTwoOrMoreShardsAndDropsALoneShard() {
    Path dir = tmp.resolve("models");
    FakeShimmy.writeGguf(dir.resolve("Big_Model-00002-of-00002.gguf"), 100);
    FakeShimmy.writeGguf(dir.resolve("Big_Model-00001-of-00002.gguf"), 50);
    FakeShimmy.writeGguf(dir.resolve("lone-00001-of-00003.gguf"));
    List<DiscoveredModel> models = runner.discover(dir);
    assertThat(models).hasSize(1);
    DiscoveredModel big = models.get(0);
    assertThat(big.id()).isEqualTo("big-model");
    assertThat(big.sizeBytes()).isEqualTo(150);
    assertThat(big.files())
        .extracting(p -> p.getFileName().toString())
        .containsExactly("Big_Model-00001-of-00002.gguf", "Big_Model-00002-of-00002.gguf");
  }

  @Test
  void scansThreeLevelsDeepButNotFour() {
    Path dir = tmp.resolve("models");
    FakeShimmy.writeGguf(dir.resolve("a/b/c/three.gguf"));
    FakeShimmy.writeGguf(dir.resolve("a/b/c/d/four.gguf"));
    assertThat(ids(dir)).containsExactly("three");
  }

  @Test
  void skipsARootWhoseOwnNameShimmySkips() {
    Path dir = tmp.resolve("opt");
    FakeShimmy.writeGguf(dir.resolve("a.gguf"));
    assertThat(ids(dir)).isEmpty();
  }

  @Test
  void appliesTheBinAndSafetensorsRules() throws Exception {
    Path dir = tmp.resolve("store");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("llama-weights.bin"), "x");
    Files.writeString(dir.resolve("random.bin"), "x");
    Files.writeString(dir.resolve("pytorch_model.bin"), "x");
    Files.writeString(dir.resolve("weights.safetensors"), "x");
    Files.writeString(dir.resolve("tokenizer.safetensors"), "x");
    assertThat(ids(dir)).containsExactly("llama-weights", "weights");
  }

  @Test
  void skipsBuildAndNonLlmSubdirectories() {
    Path dir = tmp.resolve("models");
    FakeShimmy.writeGguf(dir.resolve("target/x.gguf"));
    FakeShimmy.writeGguf(dir.resolve("whisper-small/y.gguf"));
    FakeShimmy.writeGguf(dir.resolve("roberta/z.gguf"));
    FakeShimmy.writeGguf(dir.resolve("ok/w.gguf"));
    assertThat(ids(dir)).containsExactly("w");
  }

  @Test
  void onCollisionThePathThatSortsLastWins() {
    Path dir = tmp.resolve("models");
    FakeShimmy.writeGguf(dir.resolve("a/model.gguf"), 10);
    FakeShimmy.writeGguf(dir.resolve("b/Model.gguf"), 20);
    List<DiscoveredModel> models = runner.discover(dir);
    assertThat(models).hasSize(1);
    assertThat(models.get(0).sizeBytes()).isEqualTo(20);
  }

  @Test
  void aMissingDirectoryHasNoModels() {
    assertThat(ids(tmp.resolve("missing"))).isEmpty();
  }
}
