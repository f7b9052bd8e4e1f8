package io.github.shimmypull.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.FakeShimmy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter on Tomcat with an empty model directory (Shimmy idle), a small {@code
 * shimmy.max-body-bytes} and a Prometheus registry: the answers core decides for every adapter,
 * seen through Spring.
 */
@DirtiesContext
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    classes = IdleStarterEndToEndTest.App.class)
class IdleStarterEndToEndTest {

  @TempDir static Path modelDir;

  @LocalServerPort int port;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @DynamicPropertySource
  static void shimmy(DynamicPropertyRegistry registry) {
    registry.add("shimmy.model-dir", () -> modelDir.toString());
    registry.add("shimmy.shimmy-command", FakeShimmy::commandLine);
    registry.add("shimmy.max-body-bytes", () -> "1000B");
  }

  @Test
  void theModelListIsEmptyWhileShimmyIsIdleAndOtherProxiedRoutesAre503() throws Exception {
    HttpResponse<String> models = send(HttpRequest.newBuilder(url("/v1/models")));
    HttpResponse<String> chat =
        send(
            HttpRequest.newBuilder(url("/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")));

    assertThat(models.statusCode()).isEqualTo(200);
    assertThat(models.body()).isEqualTo("{\"object\":\"list\",\"data\":[]}");
    assertThat(chat.statusCode()).isEqualTo(503);
    assertThat(chat.body()).contains("\"code\":\"backend_unavailable\"");
  }

  @Test
  void aBodyDeclaredOverTheMaxBodyBytesIs413() throws Exception {
    HttpResponse<String> over =
        send(
            HttpRequest.newBuilder(url("/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(1001))));

    assertThat(over.statusCode()).isEqualTo(413);
    assertThat(over.body()).contains("\"code\":\"payload_too_large\"");
  }

  /**
   * {@code /v1/generate} reads the body before forwarding, so the cut shows while Shimmy is idle.
   */
  @Test
  void aChunkedBodyGrowingPastTheMaxBodyBytesIs413() throws Exception {
    byte[] chunk = "x".repeat(500).getBytes(StandardCharsets.UTF_8);
    HttpRequest.BodyPublisher chunked =
        HttpRequest.BodyPublishers.ofInputStream(
            () ->
                new SequenceInputStream(
                    Collections.enumeration(
                        List.of(
                            new ByteArrayInputStream(chunk),
                            new ByteArrayInputStream(chunk),
                            new ByteArrayInputStream(chunk)))));

    HttpResponse<String> over = send(HttpRequest.newBuilder(url("/v1/generate")).POST(chunked));

    assertThat(over.statusCode()).isEqualTo(413);
    assertThat(over.body()).contains("\"code\":\"payload_too_large\"");
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(
        request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  @Test
  void theMetricsEndpointAnswersPrometheusTextFromTheApplicationsRegistry() throws Exception {
    HttpResponse<String> metrics = send(HttpRequest.newBuilder(url("/v1/api/metrics")));

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
    assertThat(metrics.body()).contains("shimmy_backend_state");
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    PrometheusMeterRegistry prometheusMeterRegistry() {
      return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }
  }
}
