package io.github.shimmypull.compat;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.models.Model;
import dev.langchain4j.model.catalog.ModelDescription;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiModelCatalog;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.openai.setup.OpenAiSetup;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The OpenAI clients, unchanged, against the server jar: the official openai-java SDK,
 * LangChain4j's OpenAI models and Spring AI's OpenAI starter each list the models, chat without
 * {@code stream} (openai-java and Spring AI leave it out and expect JSON) and chat streaming.
 */
class OpenAiClientsTest {

  /** The id the server gives {@code phi-2.Q4_K_M.gguf}, found in the model directory at start. */
  private static final String MODEL = "phi-2.q4-k-m";

  /** What the fake Shimmy generates for it. */
  private static final String ANSWER = "Hello from " + MODEL;

  @TempDir static Path tmp;
  private static FakeHub hub;
  private static ShimmyPull server;
  private static ConfigurableApplicationContext springAi;

  @BeforeAll
  static void startServerWithAModel() throws Exception {
    Path modelDir = Files.createDirectories(tmp.resolve("models"));
    Files.write(modelDir.resolve("phi-2.Q4_K_M.gguf"), Gguf.llama("Phi 2", 15, 8 * 1024));
    hub = FakeHub.start();
    server = ShimmyPull.serverJar(modelDir, hub, ShimmyPull.fakeShimmy());
    server.awaitServing(MODEL);
    springAi =
        SpringAiApp.start(
            "openai",
            Map.of(
                "spring.ai.openai.base-url",
                server.openAiBaseUrl(),
                "spring.ai.openai.api-key",
                "not-needed",
                "spring.ai.openai.chat.model",
                MODEL));
  }

  @AfterAll
  static void stop() {
    if (springAi != null) {
      springAi.close();
    }
    if (server != null) {
      server.close();
    }
    if (hub != null) {
      hub.close();
    }
  }

  private static OpenAIClient openAiJava() {
    return OpenAIOkHttpClient.builder()
        .baseUrl(server.openAiBaseUrl())
        .apiKey("not-needed")
        .build();
  }

  private static ChatCompletionCreateParams hello() {
    return ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("Say hello").build();
  }

  @Test
  void openAiJavaListsTheServedModels() {
    List<String> ids = openAiJava().models().list().data().stream().map(Model::id).toList();

    assertThat(ids).contains(MODEL);
  }

  @Test
  void openAiJavaChatsWithoutStreamAndGetsOneJsonCompletion() {
    ChatCompletion completion = openAiJava().chat().completions().create(hello());

    assertThat(completion.choices()).hasSize(1);
    assertThat(completion.choices().get(0).message().content()).hasValue(ANSWER);
  }

  @Test
  void openAiJavaStreamsAChatChunkByChunk() {
    List<ChatCompletionChunk> chunks;
    try (StreamResponse<ChatCompletionChunk> stream =
        openAiJava().chat().completions().createStreaming(hello())) {
      chunks = stream.stream().toList();
    }

    String text =
        chunks.stream()
            .flatMap(chunk -> chunk.choices().stream())
            .flatMap(choice -> choice.delta().content().stream())
            .collect(Collectors.joining());
    assertThat(chunks).hasSizeGreaterThan(3);
    assertThat(text).isEqualTo(ANSWER);
  }

  @Test
  void langChain4jListsTheServedModels() {
    List<ModelDescription> models =
        OpenAiModelCatalog.builder()
            .baseUrl(server.openAiBaseUrl())
            .apiKey("not-needed")
            .build()
            .listModels();

    assertThat(models).extracting(ModelDescription::name).contains(MODEL);
  }

  @Test
  void langChain4jChatsWithoutStreaming() {
    OpenAiChatModel model =
        OpenAiChatModel.builder()
            .baseUrl(server.openAiBaseUrl())
            .apiKey("not-needed")
            .modelName(MODEL)
            .build();

    assertThat(model.chat("Say hello")).isEqualTo(ANSWER);
  }

  @Test
  void langChain4jStreamsAChat() {
    OpenAiStreamingChatModel model =
        OpenAiStreamingChatModel.builder()
            .baseUrl(server.openAiBaseUrl())
            .apiKey("not-needed")
            .modelName(MODEL)
            .build();

    Streamed streamed = Streamed.chat(model, "Say hello", Duration.ofSeconds(30));

    assertThat(streamed.error()).isNull();
    assertThat(streamed.completed()).isTrue();
    assertThat(streamed.text()).isEqualTo(ANSWER);
  }

  /**
   * Spring AI's OpenAI module has no model-listing call of its own; it builds its openai-java
   * client with {@link OpenAiSetup}, which is used here as the starter uses it.
   */
  @Test
  void springAiListsTheServedModelsThroughTheClientItBuilds() {
    OpenAIClient client =
        OpenAiSetup.setupSyncClient(
            server.openAiBaseUrl(),
            "not-needed",
            null,
            null,
            null,
            null,
            false,
            false,
            MODEL,
            Duration.ofSeconds(30),
            0,
            null,
            Map.of(),
            ObservationRegistry.NOOP,
            new SimpleMeterRegistry(),
            List.of());

    assertThat(client.models().list().data()).extracting(Model::id).contains(MODEL);
  }

  @Test
  void springAiChatClientCallsWithoutStream() {
    ChatClient chat = springAi.getBean(ChatClient.Builder.class).build();

    assertThat(chat.prompt().user("Say hello").call().content()).isEqualTo(ANSWER);
  }

  @Test
  void springAiChatClientStreams() {
    ChatClient chat = springAi.getBean(ChatClient.Builder.class).build();

    List<String> parts =
        chat.prompt().user("Say hello").stream()
            .content()
            .collectList()
            .block(Duration.ofSeconds(30));

    assertThat(parts).hasSizeGreaterThan(1);
    assertThat(String.join("", parts)).isEqualTo(ANSWER);
  }
}
