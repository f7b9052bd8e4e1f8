package io.github.shimmypull.core.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.pull.LocalModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelNamesTest {

  @TempDir Path modelDir;
  List<LocalModel> models = new ArrayList<>();

  private ModelNames names() {
    return new ModelNames(modelDir, () -> List.copyOf(models));
  }

  private LocalModel model(String id, String file, String repo) {
    LocalModel m =
        new LocalModel(id, List.of(file), 10, null, repo, repo == null ? null : "c0ffee");
    models.add(m);
    return m;
  }

  @Test
  void aPulledNameIsListedExactlyAndFoundInAnyCaseWithOrWithoutLatest() {
    LocalModel tiny = model("tiny-q4-k-m", "tiny-Q4_K_M.gguf", "acme/tiny");
    ModelNames names = names();

    assertThat(names.record(" hf.co/Acme/Tiny ", "tiny-q4-k-m"))
        .isEqualTo("hf.co/Acme/Tiny:latest");

    assertThat(names.namesOf(tiny)).containsExactly("hf.co/Acme/Tiny:latest");
    assertThat(names.resolve("hf.co/acme/tiny")).isEqualTo("tiny-q4-k-m");
    assertThat(names.resolve("HUGGINGFACE.CO/ACME/TINY:LATEST")).isEqualTo("tiny-q4-k-m");
    assertThat(names.resolve("https://huggingface.co/acme/tiny")).isEqualTo("tiny-q4-k-m");
    assertThat(names.resolve("tiny-q4-k-m")).isEqualTo("tiny-q4-k-m");
    assertThat(names.resolve("TINY-Q4-K-M:latest")).isEqualTo("tiny-q4-k-m");
    assertThat(names.resolve("hf.co/acme/tiny:Q4_K_M"))
        .as("the derived name")
        .isEqualTo("tiny-q4-k-m");
    assertThat(names.resolve("hf.co/acme/tiny:Q8_0")).isNull();
    assertThat(names.resolve("")).isNull();
  }

  @Test
  void modelsWithoutARecordedNameGetARepoAndQuantNameOrTheirIdWithLatest() {
    LocalModel fromHub = model("other-q5-k-m", "other-Q5_K_M.gguf", "acme/other-GGUF");
    LocalModel copied = model("copied", "copied.gguf", null);

    assertThat(names().namesOf(fromHub)).containsExactly("hf.co/acme/other-GGUF:Q5_K_M");
    assertThat(names().namesOf(copied)).containsExactly("copied:latest");
  }

  @Test
  void namesAreKeptInTheModelDirectoryAcrossInstancesAndForgotten() throws Exception {
    LocalModel tiny = model("tiny-q4-k-m", "tiny-Q4_K_M.gguf", "acme/tiny");
    names().record("hf.co/acme/tiny:Q4_K_M", tiny.id());
    names().record("acme/tiny:q4_k_m", tiny.id());

    assertThat(Files.exists(modelDir.resolve(".shimmy-pull").resolve(ModelNames.FILE))).isTrue();
    assertThat(names().namesOf(tiny)).containsExactly("hf.co/acme/tiny:Q4_K_M", "acme/tiny:q4_k_m");

    assertThat(names().forget("HF.CO/acme/tiny:q4_k_m")).isEqualTo(tiny.id());
    assertThat(names().isNamed(tiny.id())).isTrue();
    names().forgetModel(tiny.id());
    assertThat(names().isNamed(tiny.id())).isFalse();
    assertThat(names().forget("hf.co/acme/tiny:Q4_K_M")).isNull();
  }

  @Test
  void recordingANameForgetsTheNamesOfModelsThatAreGone() {
    LocalModel tiny = model("tiny-q4-k-m", "tiny-Q4_K_M.gguf", "acme/tiny");
    names().record("my-old-name", "old-q4-k-m");
    names().record("hf.co/acme/tiny:Q4_K_M", tiny.id());
    model("old-q4-k-m", "old-Q4_K_M.gguf", "acme/old");

    assertThat(names().namesOf(models.get(1))).containsExactly("hf.co/acme/old:Q4_K_M");
  }

  @Test
  void anUnreadableNamesFileIsIgnored() throws Exception {
    LocalModel tiny = model("tiny-q4-k-m", "tiny-Q4_K_M.gguf", "acme/tiny");
    Files.createDirectories(modelDir.resolve(".shimmy-pull"));
    Files.writeString(modelDir.resolve(".shimmy-pull").resolve(ModelNames.FILE), "{not json");

    assertThat(names().namesOf(tiny)).containsExactly("hf.co/acme/tiny:Q4_K_M");
    assertThat(names().record("hf.co/acme/tiny", tiny.id())).isEqualTo("hf.co/acme/tiny:latest");
    assertThat(names().namesOf(tiny)).containsExactly("hf.co/acme/tiny:latest");
  }
}
