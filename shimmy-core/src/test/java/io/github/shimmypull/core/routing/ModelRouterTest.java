package io.github.shimmypull.core.routing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.routing.internal.BodyScanner;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelRouterTest {

  private static final List<String> MODELS = List.of("alpha", "beta-7b.q4-k-m");

  @Test
  void resolvesTheExactIdThenIgnoringCaseThenThroughTheAlias() {
    ModelRouter router =
        ModelRouter.builder()
            .alias(name -> name.equals("hf.co/acme/beta:Q4_K_M") ? "beta-7b.q4-k-m" : null)
            .build();

    assertThat(router.resolve("alpha", MODELS)).isEqualTo("alpha");
    assertThat(router.resolve("BETA-7B.Q4-K-M", MODELS)).isEqualTo("beta-7b.q4-k-m");
    assertThat(router.resolve("hf.co/acme/beta:Q4_K_M", MODELS)).isEqualTo("beta-7b.q4-k-m");
  }

  @Test
  void anUnknownModelIsRefusedInOpenAisShapeListingTheAvailableIds() {
    assertThatThrownBy(() -> ModelRouter.defaults().resolve("gamma", MODELS))
        .isInstanceOfSatisfying(
            RoutingException.class,
            e -> {
              assertThat(e.reason().httpStatus()).isEqualTo(404);
              assertThat(new String(e.body(), UTF_8))
                  .isEqualTo(
                      "{\"error\":{\"message\":\"Model 'gamma' not found. Available models: [\\\"alpha\\\", \\\"beta-7b.q4-k-m\\\"]\","
                          + "\"type\":\"invalid_request_error\",\"param\":\"model\",\"code\":\"model_not_found\"}}");
            });
  }

  @Test
  void withNoModelKnownTheNamedModelIsLeftToTheSupervisor() {
    assertThat(ModelRouter.defaults().resolve("alpha", List.of())).isEqualTo("alpha");
  }

  @Test
  void aRequestWithoutModelGoesToTheDefaultElseTheOnlyModelElseIsRefused() {
    assertThat(ModelRouter.builder().defaultModel("beta-7b.q4-k-m").build().resolve(null, MODELS))
        .isEqualTo("beta-7b.q4-k-m");
    assertThat(ModelRouter.defaults().resolve(null, List.of("alpha"))).isEqualTo("alpha");
    assertThat(ModelRouter.defaults().resolve(null, List.of())).isNull();
    assertThatThrownBy(() -> ModelRouter.defaults().resolve(" ", MODELS))
        .isInstanceOfSatisfying(
            RoutingException.class,
            e -> assertThat(e.reason()).isEqualTo(RoutingException.Reason.MODEL_REQUIRED));
  }

  @Test
  void theScannerFindsTheModelAfterALongMessagesArrayFedInSmallPieces() {
    String body =
        "{\"messages\":["
            + "{\"role\":\"user\",\"content\":\"hi {\\\"model\\\":\\\"x\\\"}\"},".repeat(500)
            + "{\"role\":\"user\",\"content\":\"x\"}],\"model\":\"beta\",\"nested\":{\"model\":\"no\",\"stream\":true}}";
    byte[] bytes = body.getBytes(UTF_8);
    BodyScanner scanner = new BodyScanner();
    for (int i = 0; i < bytes.length; i += 7) {
      scanner.feed(bytes, i, Math.min(7, bytes.length - i));
    }
    scanner.end();

    assertThat(scanner.requestedModel()).isEqualTo("beta");
    assertThat(scanner.hasStream()).isFalse();
    assertThat(scanner.insertionOffset()).isEqualTo(bytes.length - 1);
  }

  @Test
  void theForwardedBodyGetsStreamFalseAndTheResolvedIdOnlyWhereNeeded() {
    assertThat(forwarded("{\"model\":\"ALPHA\",\"messages\":[]}", "alpha", true))
        .isEqualTo("{\"model\":\"alpha\",\"messages\":[],\"stream\":false}");
    assertThat(forwarded("{\"model\":\"alpha\",\"stream\":true}", null, true))
        .isEqualTo("{\"model\":\"alpha\",\"stream\":true}");
    assertThat(forwarded("{ }", null, true)).isEqualTo("{ \"stream\":false}");
    assertThat(forwarded("{ \"model\" : \"Al\\u0050HA\" , \"n\":[1] \n}", "alpha", true))
        .isEqualTo("{ \"model\" : \"alpha\" , \"n\":[1] \n,\"stream\":false}");
    assertThat(forwarded("{\"model\":\"alpha\"}\n", null, false))
        .isEqualTo("{\"model\":\"alpha\"}\n");
    assertThat(forwarded("not json", null, true)).isEqualTo("not json");
    assertThat(forwarded("{\"prompt\":\"hi\"}", "alpha", false))
        .isEqualTo("{\"model\":\"alpha\",\"prompt\":\"hi\"}");
    assertThat(forwarded(" {}", "alpha", true))
        .isEqualTo(" {\"model\":\"alpha\",\"stream\":false}");
  }

  @Test
  void aModelBeyondThePrefixIsRefusedAndAModelThatIsNoStringToo() {
    BodyScanner scanner = new BodyScanner();
    byte[] prefix = "{\"messages\":[\"aaaa".getBytes(UTF_8);
    scanner.feed(prefix, 0, prefix.length);
    assertThatThrownBy(scanner::requestedModel)
        .isInstanceOfSatisfying(
            RoutingException.class,
            e -> assertThat(e.reason()).isEqualTo(RoutingException.Reason.MODEL_NOT_IN_PREFIX));

    BodyScanner number = new BodyScanner();
    byte[] body = "{\"model\":7}".getBytes(UTF_8);
    number.feed(body, 0, body.length);
    assertThatThrownBy(number::requestedModel)
        .isInstanceOfSatisfying(
            RoutingException.class,
            e -> assertThat(e.reason()).isEqualTo(RoutingException.Reason.INVALID_MODEL));
  }

  private static String forwarded(String body, String model, boolean insertStream) {
    byte[] bytes = body.getBytes(UTF_8);
    BodyScanner scanner = new BodyScanner();
    scanner.feed(bytes, 0, bytes.length);
    scanner.end();
    byte[] out = scanner.forwarded(bytes, 0, bytes.length, 0, model, insertStream);
    assertThat(out.length).isEqualTo(bytes.length + scanner.growth(model, insertStream));
    return new String(out, UTF_8);
  }
}
