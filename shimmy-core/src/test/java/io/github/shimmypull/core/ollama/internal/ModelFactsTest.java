package io.github.shimmypull.core.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.GgufHeader;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFactsTest {

  @TempDir Path dir;

  @Test
  void detailsComeFromTheHeaderNotFromTheFileName() throws Exception {
    Path file = dir.resolve("misleading-7B-Q8_0.gguf");
    Files.write(
        file,
        GgufHeader.builder()
            .string("general.architecture", "qwen2")
            .uint64("general.parameter_count", 494_032_768L)
            .uint32("general.file_type", 15)
            .uint32("qwen2.context_length", 32768)
            .build());

    ModelFacts facts = ModelFacts.of(file, Files.size(file));

    assertThat(facts.family()).isEqualTo("qwen2");
    assertThat(facts.families()).containsExactly("qwen2");
    assertThat(facts.parameterSize()).isEqualTo("494.03M");
    assertThat(facts.quantizationLevel()).isEqualTo("Q4_K_M");
    assertThat(facts.contextLength()).isEqualTo(32768L);
  }

  @Test
  void theFileNameIsTheFallbackWhenTheHeaderSaysNothing() {
    ModelFacts facts =
        ModelFacts.from(
            GgufReader.Metadata.EMPTY, "tinyllama-1.1b-chat-v1.0.Q2_K.gguf", 480_000_000L);

    assertThat(facts.family()).isEmpty();
    assertThat(facts.parameterSize()).isEqualTo("1.1B");
    assertThat(facts.quantizationLevel()).isEqualTo("Q2_K");
  }

  @Test
  void theSizeLabelAndThenAnEstimateFromSizeAndQuantizationGiveTheParameterSize() {
    GgufReader.Metadata labelled =
        GgufReader.read(
            new ByteArrayInputStream(
                GgufHeader.builder().string("general.size_label", "8x7B").build()));
    assertThat(ModelFacts.from(labelled, "x.gguf", 1).parameterSize()).isEqualTo("8x7B");

    assertThat(
            ModelFacts.from(GgufReader.Metadata.EMPTY, "model-Q8_0.gguf", 8_500_000_000L / 8)
                .parameterSize())
        .isEqualTo("1B");
    assertThat(ModelFacts.from(GgufReader.Metadata.EMPTY, "model.gguf", 1234).parameterSize())
        .isEmpty();
  }

  @Test
  void quantTagsAreFoundInFileNames() {
    assertThat(ModelFacts.quantInName("tiny-Q4_K_M.gguf")).isEqualTo("Q4_K_M");
    assertThat(ModelFacts.quantInName("Llama-3.2-1B-Instruct-IQ4_XS.gguf")).isEqualTo("IQ4_XS");
    assertThat(ModelFacts.quantInName("model.q8_0.gguf")).isEqualTo("Q8_0");
    assertThat(ModelFacts.quantInName("model-f16.gguf")).isEqualTo("F16");
    assertThat(ModelFacts.quantInName("model.gguf")).isNull();
  }

  @Test
  void parameterCountsAreWrittenAsOllamaWritesThem() {
    assertThat(ModelFacts.humanNumber(7_000_000_000L)).isEqualTo("7B");
    assertThat(ModelFacts.humanNumber(1_100_048_384L)).isEqualTo("1.1B");
    assertThat(ModelFacts.humanNumber(135_000_000L)).isEqualTo("135M");
    assertThat(ModelFacts.humanNumber(12_345L)).isEqualTo("12K");
    assertThat(ModelFacts.humanNumber(999L)).isEqualTo("999");
  }
}
