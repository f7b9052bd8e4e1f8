package io.github.shimmypull.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShimmyModelIdsTest {

  @Test
  void idDropsTheLastExtensionReplacesUnderscoresAndSpacesAndLowerCases() {
    assertThat(ShimmyModelIds.idForFile("tinyllama-1.1b-chat-v1.0.Q2_K.gguf"))
        .isEqualTo("tinyllama-1.1b-chat-v1.0.q2-k");
    assertThat(ShimmyModelIds.idForFile("Llama-3.2-1B-Instruct-Q4_K_M.gguf"))
        .isEqualTo("llama-3.2-1b-instruct-q4-k-m");
    assertThat(ShimmyModelIds.idForFile("My Model_v2.GGUF")).isEqualTo("my-model-v2");
    assertThat(ShimmyModelIds.idForFile("model.safetensors")).isEqualTo("model");
  }

  @Test
  void idKeepsDotsPlusSignsAndParentheses() {
    assertThat(ShimmyModelIds.idForFile("a+b (x).v1.gguf")).isEqualTo("a+b-(x).v1");
  }

  @Test
  void shardOfASplitModelIsServedUnderTheGroupBaseName() {
    assertThat(ShimmyModelIds.idForModelFile("Big_Model-Q8_0-00001-of-00003.gguf"))
        .isEqualTo("big-model-q8-0");
    assertThat(ShimmyModelIds.shard("x-00002-of-00003.gguf"))
        .contains(new ShimmyModelIds.Shard("x", 2, 3));
  }

  @Test
  void shardNeedsExactlyFiveDigitsOnEachSide() {
    assertThat(ShimmyModelIds.shard("x-0001-of-0003.gguf")).isEmpty();
    assertThat(ShimmyModelIds.idForModelFile("x-0001-of-0003.gguf")).isEqualTo("x-0001-of-0003");
  }
}
