package io.github.shimmypull.compat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaModel;
import dev.langchain4j.model.ollama.OllamaModelCard;
import dev.langchain4j.model.ollama.OllamaModels;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import dev.langchain4j.model.ollama.RunningOllamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.ollama.api.OllamaApi;
import org.springframework.ai.ollama.management.OllamaModelManager;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Ollama clients, unchanged, against the server jar, which starts with an empty model
 * directory: Spring AI's Ollama starter pulls its model by {@code hf.co/...} name at start-up
 * ({@code when_missing}), chats both ways and deletes it; LangChain4j's Ollama module lists, shows,
 * chats both ways, lists the running models and deletes.
 */
class OllamaClientsTest {

  @TempDir static Path tmp;
  private static Path modelDir;
  private static FakeHub hub;
  private static ShimmyPull server;

  @BeforeAll
  static void startServerWithNoModels() throws IOException {
    modelDir = Files.createDirectories(tmp.resolve("models"));
    hub = FakeHub.start();
    server = ShimmyPull.serverJar(modelDir, hub, ShimmyPull.fakeShimmy());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (hub != null) {
      hub.close();
    }
  }

  /**
   * Pulls {@code name} through the Ollama API as {@code ollama pull} would, and expects success.
   */
  private static void pull(String name) {
    ShimmyPull.Reply reply =
        server.post("/api/pull", "{\"model\":\"" + name + "\",\"stream\":false}");
    assertThat(reply.status()).as("POST /api/pull %s: %s", name, reply.body()).isEqualTo(200);
    assertThat(reply.body()).contains("\"success\"");
  }

  private static List<Path> ggufFiles() throws IOException {
    try (Stream<Path> files = Files.list(modelDir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".gguf")).toList();
    }
  }

  @Test
  void springAiPullsItsModelByHfNameAtStartUpChatsBothWaysAndDeletesIt() throws IOException {
    try (ConfigurableApplicationContext springAi =
        SpringAiApp.start(
            "ollama",
            Map.of(
                "spring.ai.ollama.base-url",
                server.url(),
                "spring.ai.ollama.chat.model",
                FakeHub.TINYLLAMA,
                "spring.ai.ollama.init.pull-model-strategy",
                "when_missing",
                "spring.ai.ollama.init.timeout",
                "60s"))) {
      OllamaApi ollama = springAi.getBean(OllamaApi.class);
      ChatClient chat = springAi.getBean(ChatClient.Builder.class).build();
      String answer = "Hello from tinyllama-1.1b-chat-v1.0.q2-k";

      List<String> pulled =
          ollama.listModels().models().stream().map(OllamaApi.Model::name).toList();
      String called = chat.prompt().user("Say hello").call().content();
      List<String> streamed =
          chat.prompt().user("Say hello").stream()
              .content()
              .collectList()
              .block(Duration.ofSeconds(30));
      new OllamaModelManager(ollama).deleteModel(FakeHub.TINYLLAMA);
      List<String> afterDelete =
          ollama.listModels().models().stream().map(OllamaApi.Model::name).toList();

      assertThat(pulled).contains(FakeHub.TINYLLAMA);
      assertThat(called).isEqualTo(answer);
      assertThat(streamed).hasSizeGreaterThan(1);
      assertThat(String.join("", streamed)).isEqualTo(answer);
      assertThat(afterDelete).doesNotContain(FakeHub.TINYLLAMA);
      assertThat(ggufFiles()).noneMatch(f -> f.getFileName().toString().startsWith("tinyllama"));
    }
  }

  @Test
  void langChain4jListsAPulledModelUnderItsNameWithDetailsFromTheGgufHeader() {
    pull(FakeHub.OTHER);

    List<OllamaModel> models =
        OllamaModels.builder().baseUrl(server.url()).build().availableModels().content();

    assertThat(models).extracting(OllamaModel::getName).contains(FakeHub.OTHER);
    OllamaModel other =
        models.stream().filter(m -> m.getName().equals(FakeHub.OTHER)).findFirst().orElseThrow();
    assertThat(other.getSize()).isPositive();
    assertThat(other.getDigest()).isNotBlank();
    assertThat(other.getDetails().getFormat()).isEqualTo("gguf");
    assertThat(other.getDetails().getFamily()).isEqualTo("llama");
    assertThat(other.getDetails().getQuantizationLevel()).isEqualTo("Q4_K_M");
  }

  @Test
  void langChain4jShowsTheModelCardWithGgufMetadata() {
    pull(FakeHub.OTHER);

    OllamaModelCard card =
        OllamaModels.builder().baseUrl(server.url()).build().modelCard(FakeHub.OTHER).content();

    assertThat(card.getDetails().getFamily()).isEqualTo("llama");
    assertThat(card.getModelInfo()).containsEntry("general.architecture", "llama");
    assertThat(card.getModelInfo()).containsKey("llama.context_length");
    assertThat(card.getCapabilities()).contains("completion");
  }

  @Test
  void langChain4jChatsWithoutStreaming() {
    pull(FakeHub.OTHER);
    OllamaChatModel model =
        OllamaChatModel.builder().baseUrl(server.url()).modelName(FakeHub.OTHER).build();

    assertThat(model.chat("Say hello")).isEqualTo("Hello from other.q4-k-m");
  }

  @Test
  void langChain4jStreamsAChat() {
    pull(FakeHub.OTHER);
    OllamaStreamingChatModel model =
        OllamaStreamingChatModel.builder().baseUrl(server.url()).modelName(FakeHub.OTHER).build();

    Streamed streamed = Streamed.chat(model, "Say hello", Duration.ofSeconds(30));

    assertThat(streamed.error()).isNull();
    assertThat(streamed.completed()).isTrue();
    assertThat(streamed.text()).isEqualTo("Hello from other.q4-k-m");
  }

  @Test
  void langChain4jListsTheRunningModelAfterAChat() {
    pull(FakeHub.OTHER);
    OllamaChatModel.builder()
        .baseUrl(server.url())
        .modelName(FakeHub.OTHER)
        .build()
        .chat("Say hello");

    List<RunningOllamaModel> running =
        OllamaModels.builder().baseUrl(server.url()).build().runningModels().content();

    assertThat(running).extracting(RunningOllamaModel::getName).contains(FakeHub.OTHER);
    RunningOllamaModel other =
        running.stream().filter(m -> m.getName().equals(FakeHub.OTHER)).findFirst().orElseThrow();
    assertThat(other.getExpiresAt()).isNotNull();
    assertThat(other.getSizeVram()).isNotNull();
  }

  @Test
  void langChain4jDeletesAModelAndItsFileGoes() throws IOException {
    pull(FakeHub.SPARE);
    OllamaModels models = OllamaModels.builder().baseUrl(server.url()).build();
    assertThat(models.availableModels().content())
        .extracting(OllamaModel::getName)
        .contains(FakeHub.SPARE);

    models.deleteModel(FakeHub.SPARE);

    assertThat(models.availableModels().content())
        .extracting(OllamaModel::getName)
        .doesNotContain(FakeHub.SPARE);
    assertThat(ggufFiles()).noneMatch(f -> f.getFileName().toString().startsWith("spare"));
  }
}
