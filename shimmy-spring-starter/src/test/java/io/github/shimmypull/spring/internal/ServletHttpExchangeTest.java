package io.github.shimmypull.spring.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.http.ForwardingHttpExchange;
import io.github.shimmypull.core.http.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

class ServletHttpExchangeTest {

  @Test
  void pathIsTheRawPathBelowTheContextPathAndTheMountPrefix() {
    MockHttpServletRequest request =
        new MockHttpServletRequest("DELETE", "/app/shimmy/v1/api/models/a%2Fb");
    request.setContextPath("/app");

    HttpExchange exchange =
        ForwardingHttpExchange.belowPrefix(
            new ServletHttpExchange(request, new MockHttpServletResponse()), "/shimmy");

    assertThat(exchange.method()).isEqualTo("DELETE");
    assertThat(exchange.path()).isEqualTo("/v1/api/models/a%2Fb");
  }

  @Test
  void theMountPrefixAloneIsTheRootPath() {
    MockHttpServletRequest request = new MockHttpServletRequest("GET", "/shimmy");

    assertThat(
            ForwardingHttpExchange.belowPrefix(
                    new ServletHttpExchange(request, new MockHttpServletResponse()), "/shimmy")
                .path())
        .isEqualTo("/");
  }

  @Test
  void requestPartsAreHandedOverUnchanged() throws IOException {
    MockHttpServletRequest request = new MockHttpServletRequest("POST", "/v1/api/pull");
    request.setQueryString("discard=true&x=%20");
    request.addHeader("Accept", "application/json");
    request.addHeader("Accept", "text/plain");
    request.addHeader("Authorization", "Bearer t");
    request.setContent("{\"model\":\"a/b\"}".getBytes(StandardCharsets.UTF_8));
    request.setRemoteAddr("10.1.2.3");
    request.setScheme("https");

    ServletHttpExchange exchange = new ServletHttpExchange(request, new MockHttpServletResponse());

    assertThat(exchange.rawQuery()).isEqualTo("discard=true&x=%20");
    assertThat(exchange.requestHeaders("accept")).containsExactly("application/json", "text/plain");
    assertThat(exchange.requestHeader("authorization")).isEqualTo("Bearer t");
    assertThat(exchange.requestHeader("X-Missing")).isNull();
    assertThat(exchange.requestHeaderNames()).contains("Accept", "Authorization");
    assertThat(new String(exchange.requestBody().readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("{\"model\":\"a/b\"}");
    assertThat(exchange.remoteAddress()).isEqualTo("10.1.2.3");
    assertThat(exchange.scheme()).isEqualTo("https");
  }

  @Test
  void statusHeadersAndFlushedBytesReachTheResponseAtOnce() throws IOException {
    MockHttpServletResponse response = new MockHttpServletResponse();
    ServletHttpExchange exchange =
        new ServletHttpExchange(new MockHttpServletRequest("GET", "/"), response);

    exchange.status(409);
    exchange.addResponseHeader("X-A", "1");
    exchange.addResponseHeader("X-A", "2");
    OutputStream body = exchange.responseBody();
    body.write("{\"status\":\"starting\"}\n".getBytes(StandardCharsets.UTF_8));
    body.flush();

    assertThat(response.isCommitted()).isTrue();
    assertThat(response.getStatus()).isEqualTo(409);
    assertThat(response.getHeaders("X-A")).containsExactly("1", "2");
    assertThat(response.getContentAsString()).isEqualTo("{\"status\":\"starting\"}\n");
  }

  @Test
  void whenTheServerCompressesAResponseWithoutItsOwnEncodingIsMarkedIdentity() throws IOException {
    MockHttpServletResponse plain = new MockHttpServletResponse();
    MockHttpServletResponse gzipped = new MockHttpServletResponse();
    MockHttpServletResponse notCompressing = new MockHttpServletResponse();

    new ServletHttpExchange(new MockHttpServletRequest("GET", "/"), plain, true).responseBody();
    ServletHttpExchange passthrough =
        new ServletHttpExchange(new MockHttpServletRequest("GET", "/"), gzipped, true);
    passthrough.addResponseHeader("Content-Encoding", "gzip");
    passthrough.responseBody();
    new ServletHttpExchange(new MockHttpServletRequest("GET", "/"), notCompressing, false)
        .responseBody();

    assertThat(plain.getHeaders("Content-Encoding")).containsExactly("identity");
    assertThat(gzipped.getHeaders("Content-Encoding")).containsExactly("gzip");
    assertThat(notCompressing.getHeader("Content-Encoding")).isNull();
  }

  @Test
  void basePathsAreNormalised() {
    assertThat(ShimmyHandlerMapping.normaliseBasePath("")).isEmpty();
    assertThat(ShimmyHandlerMapping.normaliseBasePath("/")).isEmpty();
    assertThat(ShimmyHandlerMapping.normaliseBasePath("shimmy/")).isEqualTo("/shimmy");
    assertThat(ShimmyHandlerMapping.normaliseBasePath(" /a/b// ")).isEqualTo("/a/b");
  }
}
