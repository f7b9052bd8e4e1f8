package io.github.shimmypull.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An error inside a stream reaches each client as an error, never as a short but successful answer,
 * and only after the first token arrived (so an error before the stream, such as a 404, does not
 * pass): the fake Shimmy dies after the first token of every streamed generation whose prompt says
 * {@value #BOOM} ({@link FakeShimmy#CRASH_MID_STREAM_ON}), and the supervisor starts it again
 * before the next test.
 */
class StreamErrorsTest {

  private static final String MODEL = "phi-2.q4-k-m";
  private static final String BOOM = "boom";

  /**
   * The only token the fake Shimmy sends before it dies: the error must come after the stream
   * began.
   */
  private static final String FIRST_TOKEN = "Hello";

  @TempDir static Path tmp;
  private static FakeHub hub;
  private static ShimmyPull server;
  private static ConfigurableApplicationContext springAiOpenAi;
  private static ConfigurableApplicationContext springAiOllama;

  @BeforeAll
  static void startServerWhoseShimmyDiesMidStreamOnBoom() throws Exception {
    Path modelDir = Files.createDirectories(tmp.resolve("models"));
    Files.write(modelDir.resolve("phi-2.Q4_K_M.gguf"), Gguf.llama("Phi 2", 15, 8 * 1024));
    hub = FakeHub.start();
    server =
        ShimmyPull.serverJar(
            modelDir, hub, ShimmyPull.fakeShimmy(FakeShimmy.CRASH_MID_STREAM_ON + "=" + BOOM));
    springAiOpenAi =
        SpringAiApp.start(
            "openai",
            Map.of(
                "spring.ai.openai.base-url",
                server.openAiBaseUrl(),
                "spring.ai.openai.api-key",
                "not-needed",
                "spring.ai.openai.chat.model",
                MODEL));
    springAiOllama =
        SpringAiApp.start(
            "ollama",
            Map.of(
                "spring.ai.ollama.base-url", server.url(), "spring.ai.ollama.chat.model", MODEL));
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {springAiOllama, springAiOpenAi, server, hub}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  /** The previous test's crash is behind us: Shimmy serves again. */
  @BeforeEach
  void shimmyServes() {
    server.awaitServing(MODEL);
  }

  @Test
  void openAiJavaThrowsWhenTheStreamBreaksOff() {
    OpenAIClient client =
        OpenAIOkHttpClient.builder().baseUrl(server.openAiBaseUrl()).apiKey("not-needed").build();
    ChatCompletionCreateParams boom =
        ChatCompletionCreateParams.builder().model(MODEL).addUserMessage(BOOM).build();

    List<String> received = new CopyOnWriteArrayList<>();

    assertThatThrownBy(
            () -> {
              try (StreamResponse<ChatCompletionChunk> stream =
                  client.chat().completions().createStreaming(boom)) {
                stream.stream()
                    .flatMap(chunk -> chunk.choices().stream())
                    .flatMap(choice -> choice.delta().content().stream())
                    .forEach(received::add);
              }
            })
        .isInstanceOf(RuntimeException.class);
    assertThat(received).as("the stream had begun").containsExactly(FIRST_TOKEN);
  }

  @Test
  void langChain4jOpenAiCallsOnErrorWhenTheStreamBreaksOff() {
    OpenAiStreamingChatModel model =
        OpenAiStreamingChatModel.builder()
            .baseUrl(server.openAiBaseUrl())
            .apiKey("not-needed")
            .modelName(MODEL)
            .build();

    Streamed streamed = Streamed.chat(model, BOOM, Duration.ofSeconds(15));

    assertThat(streamed.completed())
        .as("completed normally with \"%s\"", streamed.text())
        .isFalse();
    assertThat(streamed.error()).isNotNull();
    assertThat(streamed.text()).as("the stream had begun").isEqualTo(FIRST_TOKEN);
  }

  @Test
  void springAiOpenAiFluxErrorsWhenTheStreamBreaksOff() {
    ChatClient chat = springAiOpenAi.getBean(ChatClient.Builder.class).build();

    List<String> received = new CopyOnWriteArrayList<>();

    assertThatThrownBy(
            () ->
                chat.prompt().user(BOOM).stream()
                    .content()
                    .doOnNext(received::add)
                    .collectList()
                    .block(Duration.ofSeconds(15)))
        .isInstanceOf(RuntimeException.class);
    assertThat(String.join("", received)).as("the stream had begun").isEqualTo(FIRST_TOKEN);
  }

  @Test
  void langChain4jOllamaCallsOnErrorWhenTheStreamBreaksOff() {
    OllamaStreamingChatModel model =
        OllamaStreamingChatModel.builder().baseUrl(server.url()).modelName(MODEL).build();

    Streamed streamed = Streamed.chat(model, BOOM, Duration.ofSeconds(15));

    assertThat(streamed.completed())
        .as("completed normally with \"%s\"", streamed.text())
        .isFalse();
    assertThat(streamed.error()).isNotNull();
    assertThat(streamed.text()).as("the stream had begun").isEqualTo(FIRST_TOKEN);
  }

  @Test
  void springAiOllamaFluxErrorsWhenTheStreamBreaksOff() {
    ChatClient chat = springAiOllama.getBean(ChatClient.Builder.class).build();

    List<String> received = new CopyOnWriteArrayList<>();

    assertThatThrownBy(
            () ->
                chat.prompt().user(BOOM).stream()
                    .content()
                    .doOnNext(received::add)
                    .collectList()
                    .block(Duration.ofSeconds(15)))
        .isInstanceOf(RuntimeException.class);
    assertThat(String.join("", received)).as("the stream had begun").isEqualTo(FIRST_TOKEN);
  }
}
