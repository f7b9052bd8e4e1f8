package io.github.shimmypull.core.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirectoryTest {

  @TempDir Path modelDir;

  @Test
  void listsModelsLikeShimmyGroupingSplitShardsWithRecordedProvenance() throws Exception {
    try (HubFixture f =
        new HubFixture(
            FakeHuggingFace.builder()
                .file("a/b", "Pulled_Model.Q4_K_M.gguf", FakeFile.seeded(5000, 1))
                .build(),
            modelDir)) {
      f.puller()
          .build()
          .pull(ModelRef.parse("a/b", "Pulled_Model.Q4_K_M.gguf", null), false, PullListener.NONE);
      Files.write(modelDir.resolve("copied.gguf"), new byte[] {'G', 'G', 'U', 'F'});
      Files.write(modelDir.resolve("big-00001-of-00002.gguf"), new byte[10]);
      Files.write(modelDir.resolve("big-00002-of-00002.gguf"), new byte[20]);
      Files.write(modelDir.resolve("lone-00001-of-00003.gguf"), new byte[5]);
      Files.write(modelDir.resolve("notes.txt"), new byte[5]);

      List<LocalModel> models = new ModelDirectory(modelDir).list();

      assertThat(models)
          .containsExactly(
              new LocalModel(
                  "big",
                  List.of("big-00001-of-00002.gguf", "big-00002-of-00002.gguf"),
                  30,
                  null,
                  null,
                  null),
              new LocalModel("copied", List.of("copied.gguf"), 4, null, null, null),
              new LocalModel(
                  "pulled-model.q4-k-m",
                  List.of("Pulled_Model.Q4_K_M.gguf"),
                  5000,
                  f.hub.sha256("a/b", "Pulled_Model.Q4_K_M.gguf"),
                  "a/b",
                  f.hub.head("a/b")));
    }
  }

  @Test
  void deleteRemovesFilesAndMetadataAndUnknownIdsAreNotFound() throws Exception {
    try (HubFixture f =
        new HubFixture(
            FakeHuggingFace.builder()
                .file("a/b", "m-00001-of-00002.gguf", FakeFile.seeded(5000, 1))
                .file("a/b", "m-00002-of-00002.gguf", FakeFile.seeded(5000, 2))
                .build(),
            modelDir)) {
      f.puller()
          .build()
          .pull(ModelRef.parse("a/b", "m-00001-of-00002.gguf", null), false, PullListener.NONE);
      ModelDirectory dir = new ModelDirectory(modelDir);

      LocalModel deleted = dir.delete("m");

      assertThat(deleted.files()).containsExactly("m-00001-of-00002.gguf", "m-00002-of-00002.gguf");
      assertThat(dir.list()).isEmpty();
      try (var hidden = Files.list(modelDir.resolve(".shimmy-pull"))) {
        assertThat(hidden).isEmpty();
      }
      assertThatThrownBy(() -> dir.delete("m"))
          .isInstanceOfSatisfying(
              PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
    }
  }

  @Test
  void discardPartialsRemovesPartialAndSidecar() throws Exception {
    try (HubFixture f =
        new HubFixture(
            FakeHuggingFace.builder().file("a/b", "m.gguf", FakeFile.seeded(5000, 1)).build(),
            modelDir)) {
      HuggingFacePuller puller = f.puller().build();
      PreparedPull prepared = puller.prepare(ModelRef.parse("a/b", "m.gguf", null), false);
      Files.createDirectories(modelDir.resolve(".shimmy-pull"));
      Files.write(modelDir.resolve(".shimmy-pull/m.gguf.part"), new byte[100]);
      Files.write(modelDir.resolve(".shimmy-pull/m.gguf.part.json"), "{}".getBytes());

      new ModelDirectory(modelDir).discardPartials(prepared);

      assertThat(modelDir.resolve(".shimmy-pull/m.gguf.part")).doesNotExist();
      assertThat(modelDir.resolve(".shimmy-pull/m.gguf.part.json")).doesNotExist();
    }
  }
}
