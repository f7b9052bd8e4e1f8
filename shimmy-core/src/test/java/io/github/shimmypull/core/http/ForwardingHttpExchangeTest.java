package io.github.shimmypull.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class ForwardingHttpExchangeTest {

  @Test
  void belowAPrefixThePathLosesThePrefixAndThePrefixAloneIsTheRoot() {
    assertThat(
            ForwardingHttpExchange.belowPrefix(new StubExchange("/shimmy/v1/health"), "/shimmy")
                .path())
        .isEqualTo("/v1/health");
    assertThat(ForwardingHttpExchange.belowPrefix(new StubExchange("/shimmy"), "/shimmy").path())
        .isEqualTo("/");
    assertThat(ForwardingHttpExchange.belowPrefix(new StubExchange("/elsewhere"), "/shimmy").path())
        .isEqualTo("/elsewhere");
  }

  @Test
  void anEmptyPrefixLeavesTheExchangeAsItIs() {
    StubExchange exchange = new StubExchange("/v1/models");

    assertThat(ForwardingHttpExchange.belowPrefix(exchange, "")).isSameAs(exchange);
  }

  @Test
  void everyCallReachesTheDelegate() throws Exception {
    StubExchange stub = new StubExchange("/shimmy/v1/chat/completions");
    HttpExchange exchange = ForwardingHttpExchange.belowPrefix(stub, "/shimmy");

    assertThat(exchange.method()).isEqualTo("POST");
    assertThat(exchange.rawQuery()).isEqualTo("a=1");
    assertThat(exchange.requestHeaderNames()).containsExactly("Accept");
    assertThat(exchange.requestHeaders("Accept")).containsExactly("text/plain", "application/json");
    assertThat(exchange.requestHeader("Accept")).isEqualTo("text/plain");
    assertThat(exchange.requestBody().readAllBytes())
        .isEqualTo("body".getBytes(StandardCharsets.UTF_8));
    assertThat(exchange.remoteAddress()).isEqualTo("10.0.0.1");
    assertThat(exchange.scheme()).isEqualTo("https");
    exchange.status(201);
    exchange.addResponseHeader("X-Test", "yes");
    exchange.responseBody().write('!');

    assertThat(stub.status).isEqualTo(201);
    assertThat(stub.responseHeaders).containsExactly(Map.entry("X-Test", "yes"));
    assertThat(stub.response.toString(StandardCharsets.UTF_8)).isEqualTo("!");
  }

  /**
   * A request {@code POST path?a=1} with two Accept values and body {@code body}; records the
   * answer.
   */
  private static final class StubExchange implements HttpExchange {
    private final String path;
    int status;
    final List<Map.Entry<String, String>> responseHeaders = new ArrayList<>();
    final ByteArrayOutputStream response = new ByteArrayOutputStream();

    StubExchange(String path) {
      this.path = path;
    }

    @Override
    public String method() {
      return "POST";
    }

    @Override
    public String path() {
      return path;
    }

    @Override
    public @Nullable String rawQuery() {
      return "a=1";
    }

    @Override
    public List<String> requestHeaderNames() {
      return List.of("Accept");
    }

    @Override
    public List<String> requestHeaders(String name) {
      return name.equalsIgnoreCase("Accept")
          ? List.of("text/plain", "application/json")
          : List.of();
    }

    @Override
    public InputStream requestBody() {
      return new ByteArrayInputStream("body".getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void status(int status) {
      this.status = status;
    }

    @Override
    public void addResponseHeader(String name, String value) {
      responseHeaders.add(Map.entry(name, value));
    }

    @Override
    public OutputStream responseBody() {
      return response;
    }

    @Override
    public String remoteAddress() {
      return "10.0.0.1";
    }

    @Override
    public String scheme() {
      return "https";
    }
  }
}
