package io.github.shimmypull.server.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.FakeShimmy;
import io.github.shimmypull.testkit.RawUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and malformed requests against the server jar's front server (the Netty edge on the port;
 * {@link HardenedFrontOnTheJavalinEngineTest} repeats them with Jetty on the port): every answer is
 * JSON with the right 4xx, and no spelling of a path gets past the admin check.
 */
class HardenedFrontTest extends FrontServerFixture {

  static final String TOKEN = "s3cret";

  private void serve(String... extra) {
    String[] options = new String[extra.length + 2];
    options[0] = "--admin-token";
    options[1] = TOKEN;
    System.arraycopy(extra, 0, options, 2, extra.length);
    startServer(FakeShimmy.commandLine(), options);
  }

  String raw(String request) throws Exception {
    return RawUpstream.exchange(server.port(), request);
  }

  static String post(String path, String body) {
    return "POST "
        + path
        + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
        + body.length()
        + "\r\nConnection: close\r\n\r\n"
        + body;
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
    serve();

    String answer = raw(post(path, "{\"model\":\"acme/x-GGUF:Q4_K_M\"}"));

    assertThat(answer).startsWith("HTTP/1.1 401").contains("\"code\":\"unauthorized\"");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "GET /%00 HTTP/1.1 | 400 | invalid_request",
        "GET /v1/%ff%fe HTTP/1.1 | 400 | invalid_request",
        "GET http://example.com/v1/models HTTP/1.1 | 400 | invalid_request",
        "CONNECT example.com:443 HTTP/1.1 | 405 | method_not_allowed",
        "get /v1/health HTTP/1.1 | 405 | method_not_allowed",
      })
  void malformedOrUnservableRequestsGetAJsonError(String requestLine, int status, String code)
      throws Exception {
    serve();

    String host = requestLine.startsWith("CONNECT") ? "example.com:443" : "x"; // as clients send it
    String answer = raw(requestLine + "\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");

    assertThat(answer)
        .startsWith("HTTP/1.1 " + status)
        .containsIgnoringCase("content-type: application/json")
        .contains("\"code\":\"" + code + "\"");
  }

  @Test
  void headOnAGetRouteAnswersLikeGetWithoutABody() throws Exception {
    serve();

    String answer = raw("HEAD /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(answer)
        .startsWith("HTTP/1.1 200")
        .containsIgnoringCase("content-type: application/json");
    assertThat(answer.substring(answer.indexOf("\r\n\r\n") + 4)).isEmpty();
  }

  @Test
  void badJsonIsDescribedWithoutTheParsersInternals() throws Exception {
    serve();

    String answer =
        raw(
            post("/v1/api/pull", "{\"model\": }")
                .replace("Host: x\r\n", "Host: x\r\nAuthorization: Bearer " + TOKEN + "\r\n"));

    assertThat(answer)
        .startsWith("HTTP/1.1 400")
        .contains("\"code\":\"invalid_request\"")
        .contains("request body is not valid JSON")
        .doesNotContain("code 125")
        .doesNotContain("Source")
        .doesNotContain("jackson")
        .doesNotContain("Unexpected character");
  }
}
