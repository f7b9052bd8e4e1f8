package io.github.shimmypull.compat;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.models.Model;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaModel;
import dev.langchain4j.model.ollama.OllamaModels;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same clients against a Javalin application with {@code ShimmyPlugin} instead of the server
 * jar: openai-java (list, chat without {@code stream}, streaming) and LangChain4j's Ollama module
 * (pull by {@code hf.co/...} name, list, chat both ways).
 */
class PluginClientsTest {

  private static final String MODEL = "phi-2.q4-k-m";

  @TempDir static Path tmp;
  private static FakeHub hub;
  private static ShimmyPull app;

  @BeforeAll
  static void startJavalinAppWithTheShimmyPlugin() throws Exception {
    Path modelDir = Files.createDirectories(tmp.resolve("models"));
    Files.write(modelDir.resolve("phi-2.Q4_K_M.gguf"), Gguf.llama("Phi 2", 15, 8 * 1024));
    hub = FakeHub.start();
    app = ShimmyPull.javalinPlugin(modelDir, hub, ShimmyPull.fakeShimmy());
    app.awaitServing(MODEL);
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
    if (hub != null) {
      hub.close();
    }
  }

  private static OpenAIClient openAiJava() {
    return OpenAIOkHttpClient.builder().baseUrl(app.openAiBaseUrl()).apiKey("not-needed").build();
  }

  private static ChatCompletionCreateParams hello() {
    return ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("Say hello").build();
  }

  @Test
  void openAiJavaListsTheServedModels() {
    assertThat(openAiJava().models().list().data()).extracting(Model::id).contains(MODEL);
  }

  @Test
  void openAiJavaChatsWithoutStreamAndGetsOneJsonCompletion() {
    assertThat(
            openAiJava().chat().completions().create(hello()).choices().get(0).message().content())
        .hasValue("Hello from " + MODEL);
  }

  @Test
  void openAiJavaStreamsAChat() {
    String text;
    try (StreamResponse<ChatCompletionChunk> stream =
        openAiJava().chat().completions().createStreaming(hello())) {
      text =
          stream.stream()
              .flatMap(chunk -> chunk.choices().stream())
              .flatMap(choice -> choice.delta().content().stream())
              .collect(Collectors.joining());
    }

    assertThat(text).isEqualTo("Hello from " + MODEL);
  }

  @Test
  void langChain4jOllamaListsAModelPulledByHfNameAndChatsWithItBothWays() {
    ShimmyPull.Reply pulled =
        app.post("/api/pull", "{\"model\":\"" + FakeHub.OTHER + "\",\"stream\":false}");
    assertThat(pulled.status()).as(pulled.body()).isEqualTo(200);

    OllamaModels models = OllamaModels.builder().baseUrl(app.url()).build();
    String called =
        OllamaChatModel.builder()
            .baseUrl(app.url())
            .modelName(FakeHub.OTHER)
            .build()
            .chat("Say hello");
    Streamed streamed =
        Streamed.chat(
            OllamaStreamingChatModel.builder().baseUrl(app.url()).modelName(FakeHub.OTHER).build(),
            "Say hello",
            Duration.ofSeconds(30));

    assertThat(models.availableModels().content())
        .extracting(OllamaModel::getName)
        .contains(FakeHub.OTHER);
    assertThat(called).isEqualTo("Hello from other.q4-k-m");
    assertThat(streamed.error()).isNull();
    assertThat(streamed.text()).isEqualTo("Hello from other.q4-k-m");
  }
}
