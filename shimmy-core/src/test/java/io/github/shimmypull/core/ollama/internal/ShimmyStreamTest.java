package io.github.shimmypull.core.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.doubles.TestServers;
import io.github.shimmypull.core.proxy.ShimmyProxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ShimmyStreamTest {

  TestServers servers = new TestServers();
  ShimmyStream stream = new ShimmyStream(ShimmyProxy.defaultClient());
  List<String> tokens = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    servers.close();
  }

  private ShimmyStream.Outcome run(MockResponse response, ShimmyStream.Dialect dialect)
      throws Exception {
    MockWebServer shimmy = servers.mock();
    shimmy.enqueue(response);
    return stream.run(
        TestServers.base(shimmy), dialect, "{}".getBytes(StandardCharsets.UTF_8), tokens::add);
  }

  private static MockResponse sse(String body) {
    return new MockResponse.Builder()
        .addHeader("Content-Type", "text/event-stream")
        .body(body)
        .build();
  }

  @Test
  void aTokenSplitOverSeveralDataLinesIsJoinedWithNewlinesAndCommentsAreSkipped() throws Exception {
    ShimmyStream.Outcome outcome =
        run(
            sse(": keep-alive\n\ndata: first\ndata: second\n\ndata:  spaced\n\ndata: [DONE]\n\n"),
            ShimmyStream.Dialect.GENERATE);

    assertThat(tokens).containsExactly("first\nsecond", " spaced");
    assertThat(outcome.tokens()).isEqualTo(2);
    assertThat(outcome.error()).isNull();
  }

  @Test
  void aChatChunkWithAnErrorObjectEndsTheStreamWithItsMessage() throws Exception {
    ShimmyStream.Outcome outcome =
        run(
            sse("data: {\"error\":{\"message\":\"engine failed\"}}\n\n"),
            ShimmyStream.Dialect.CHAT);

    assertThat(outcome.error()).isEqualTo("engine failed");
    assertThat(tokens).isEmpty();
  }

  @Test
  void aJsonAnswerInsteadOfEventsIsTakenWhole() throws Exception {
    ShimmyStream.Outcome outcome =
        run(
            new MockResponse.Builder()
                .addHeader("Content-Type", "application/json")
                .body(
                    "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"all at once\"},\"finish_reason\":\"stop\"}]}")
                .build(),
            ShimmyStream.Dialect.CHAT);

    assertThat(tokens).containsExactly("all at once");
    assertThat(outcome.finishReason()).isEqualTo("stop");
  }

  @Test
  void anErrorStatusIsRefusedWithShimmysMessage() {
    assertThatThrownBy(
            () ->
                run(
                    new MockResponse.Builder()
                        .code(404)
                        .body(
                            "{\"error\":{\"message\":\"Model 'x' not found\",\"code\":\"model_not_found\"}}")
                        .build(),
                    ShimmyStream.Dialect.CHAT))
        .isInstanceOf(ShimmyStream.Refused.class)
        .hasMessage("Shimmy answered 404: Model 'x' not found")
        .satisfies(e -> assertThat(((ShimmyStream.Refused) e).status()).isEqualTo(404));
  }
}
