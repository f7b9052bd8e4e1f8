package io.github.shimmypull.supervisor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceDirectoryTest {

  @TempDir Path tmp;

  private DiscoveredModel discovered(Path dir, String id) {
    return new ScanDiscoveryRunner()
        .discover(dir).stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow();
  }

  @Test
  void filesAreHardLinkedSoAReplacedFileLeavesThePrivateDirectoryOnTheOldBytes() throws Exception {
    Path dir = tmp.resolve("models");
    FakeShimmy.writeGguf(dir.resolve("a.gguf"), 100);
    InstanceDirectory instances = new InstanceDirectory(dir);

    Path privateDir = instances.create(discovered(dir, "a"));

    Path link = privateDir.resolve("a.gguf");
    assertThat(Files.isSymbolicLink(link)).isFalse();
    assertThat(Files.isSameFile(link, dir.resolve("a.gguf"))).isTrue();
    Path staged = FakeShimmy.writeGguf(tmp.resolve("staging/a.gguf"), 200);
    Files.move(
        staged,
        dir.resolve("a.gguf"),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
    assertThat(Files.size(link)).isEqualTo(100);
    assertThat(privateDir.getParent().getParent()).isEqualTo(dir.resolve(".shimmy-pull/instances"));

    instances.delete(privateDir);
    assertThat(privateDir.getParent()).doesNotExist();
    assertThat(dir.resolve("a.gguf")).exists();
  }

  @Test
  void aSymlinkedModelFileIsLinkedUnderItsOwnNameToTheRealFile() throws Exception {
    Path dir = tmp.resolve("models");
    Path blob = FakeShimmy.writeGguf(tmp.resolve("store/blob-1"), 64);
    Files.createDirectories(dir);
    Files.createSymbolicLink(dir.resolve("Pretty_Name.gguf"), blob);
    InstanceDirectory instances = new InstanceDirectory(dir);

    Path privateDir = instances.create(discovered(dir, "pretty-name"));

    assertThat(Files.isSameFile(privateDir.resolve("Pretty_Name.gguf"), blob)).isTrue();
    assertThat(new ScanDiscoveryRunner().discover(privateDir))
        .extracting(DiscoveredModel::id)
        .containsExactly("pretty-name");
  }

  @Test
  void namesAvoidWordsThatMakeShimmySkipFilesAndStaleDirectoriesAreRemoved() throws Exception {
    assertThat(InstanceDirectory.safeName("Llama-3.2-1B_Q4")).isEqualTo("llama-3.2-1b-q4");
    assertThat(InstanceDirectory.safeName("my-tokenizer-model")).isEqualTo("model");
    assertThat(InstanceDirectory.safeName("bert-base")).isEqualTo("model");
    assertThat(InstanceDirectory.safeName(".hidden")).isEqualTo("hidden");
    assertThat(InstanceDirectory.safeName("org/repo:tag")).isEqualTo("org-repo-tag");

    Path dir = tmp.resolve("models");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("weights.safetensors"), "x");
    InstanceDirectory instances = new InstanceDirectory(dir);
    Path privateDir =
        instances.create(
            new DiscoveredModel("weights", List.of(dir.resolve("weights.safetensors")), 1));
    assertThat(new ScanDiscoveryRunner().discover(privateDir))
        .extracting(DiscoveredModel::id)
        .containsExactly("weights");

    instances.cleanStale();
    assertThat(instances.root()).doesNotExist();
  }
}
