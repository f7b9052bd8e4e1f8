package io.github.shimmypull.core.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.doubles.LeasingSupervisor;
import io.github.shimmypull.core.doubles.TestServers;
import io.github.shimmypull.testkit.RawUpstream;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Requests no route serves are refused by the edge itself, as JSON errors, never as HTML. */
class EdgeRefusalsTest {

  private final TestServers servers = new TestServers();

  @AfterEach
  void tearDown() throws Exception {
    servers.close();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "GET /%00 HTTP/1.1 | 400 | invalid_request",
        "GET /v1/%ff%fe HTTP/1.1 | 400 | invalid_request",
        "GET http://example.com/v1/models HTTP/1.1 | 400 | invalid_request",
        "CONNECT example.com:443 HTTP/1.1 | 405 | method_not_allowed",
        "get /v1/models HTTP/1.1 | 405 | method_not_allowed",
      })
  void refusesWithAJsonErrorAndForwardsNothing(String requestLine, int status, String code)
      throws Exception {
    MockWebServer shimmy = servers.mock();
    MockWebServer app = servers.mock();
    ShimmyEdge edge =
        servers.track(
            ShimmyEdge.builder()
                .supervisor(LeasingSupervisor.live(TestServers.base(shimmy)))
                .app(TestServers.base(app))
                .build()
                .start());

    String answer = RawUpstream.exchange(edge.port(), requestLine + "\r\nHost: x\r\n\r\n");

    assertThat(answer)
        .startsWith("HTTP/1.1 " + status)
        .containsIgnoringCase("content-type: application/json")
        .contains("\"code\":\"" + code + "\"");
    assertThat(shimmy.getRequestCount()).isZero();
    assertThat(app.getRequestCount()).isZero();
  }
}
