package io.github.shimmypull.server.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.server.javalin.support.Servers;
import io.github.shimmypull.testkit.FakeShimmy;
import io.github.shimmypull.testkit.RawUpstream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Which server answers the jar's port with each {@code --proxy-engine}. */
class ProxyEngineTest extends FrontServerFixture {

  @Test
  void theDefaultNettyEdgeAnswersTheJarsPortAndHandsTheApiToTheApp() throws Exception {
    startServer(FakeShimmy.commandLine());

    assertThat(rawExchange(server.port(), "NOT HTTP\r\n\r\n"))
        .as("malformed requests are answered by the edge, in the API's JSON")
        .startsWith("HTTP/1.1 400")
        .contains("\"code\":\"invalid_request\"");
    assertThat(api.get("/v1/health").status()).isEqualTo(200);
    assertThat(api.get("/v1/api/models").status()).isEqualTo(200);
  }

  @Test
  void theJavalinEngineServesThePortItself() throws Exception {
    startServer(FakeShimmy.commandLine(), "--proxy-engine", "javalin");

    assertThat(rawExchange(server.port(), "NOT HTTP\r\n\r\n"))
        .as("Jetty answers malformed requests itself, in JSON like the edge")
        .contains("application/json")
        .contains("\"code\":\"invalid_request\"");
    assertThat(api.get("/v1/health").status()).isEqualTo(200);
    assertThat(Servers.api(server).get("/v1/api/models").status()).isEqualTo(200);
  }

  private static String rawExchange(int port, String request) throws IOException {
    return RawUpstream.exchange(port, request);
  }
}
