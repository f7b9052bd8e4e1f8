package io.github.shimmypull.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.FakeShimmy;
import io.github.shimmypull.testkit.RawUpstream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Hostile and malformed requests against the starter on Tomcat: no spelling of a path gets past the
 * admin check, and the errors are JSON as on the server jar.
 */
@DirtiesContext
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    classes = HardenedStarterEndToEndTest.App.class)
class HardenedStarterEndToEndTest {

  @TempDir static Path modelDir;

  @LocalServerPort int port;

  @DynamicPropertySource
  static void shimmy(DynamicPropertyRegistry registry) {
    registry.add("shimmy.model-dir", () -> modelDir.toString());
    registry.add("shimmy.shimmy-command", FakeShimmy::commandLine);
    registry.add("shimmy.admin-token", () -> "s3cret");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "//v1/api/pull",
        "/x/../v1/api/pull",
        "/v1/./api/pull",
        "/v1/%61pi/pull",
        "/v1//api/pull"
      })
  void aPullUnderAnotherSpellingOfItsPathNeedsTheAdminToken(String path) throws Exception {
    String body = "{\"model\":\"acme/x-GGUF:Q4_K_M\"}";
    String answer =
        RawUpstream.exchange(
            port,
            "POST "
                + path
                + " HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: application/json\r\nContent-Length: "
                + body.length()
                + "\r\nConnection: close\r\n\r\n"
                + body);

    assertThat(answer).startsWith("HTTP/1.1 401").contains("\"code\":\"unauthorized\"");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "get /v1/health HTTP/1.1 | 405 | method_not_allowed",
        "GET /v1/%2e%2e/x HTTP/1.1 | 400 | invalid_request",
        "GET /v1/%2e/x HTTP/1.1 | 400 | invalid_request",
        "GET /%00 HTTP/1.1 | 400 | invalid_request",
        "GET /v1/%ff%fe HTTP/1.1 | 400 | invalid_request",
        "GET http://example.com/v1/models HTTP/1.1 | 400 | invalid_request",
      })
  void requestsNoRouteServesGetAJsonError(String requestLine, int status, String code)
      throws Exception {
    String answer =
        RawUpstream.exchange(port, requestLine + "\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(answer)
        .startsWith("HTTP/1.1 " + status)
        .containsIgnoringCase("content-type: application/json")
        .contains("\"code\":\"" + code + "\"");
  }

  @Test
  void headOnAGetRouteAnswersLikeGetWithoutABody() throws Exception {
    String answer =
        RawUpstream.exchange(
            port, "HEAD /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(answer)
        .startsWith("HTTP/1.1 200")
        .containsIgnoringCase("content-type: application/json");
    assertThat(answer.substring(answer.indexOf("\r\n\r\n") + 4)).isEmpty();
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}
}
