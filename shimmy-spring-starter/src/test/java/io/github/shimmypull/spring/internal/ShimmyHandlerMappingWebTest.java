package io.github.shimmypull.spring.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.http.HttpHandler;
import io.github.shimmypull.spring.ShimmyAutoConfiguration;
import io.github.shimmypull.spring.ShimmyHealthContributorAutoConfiguration;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The MVC mount on a real Tomcat, with a scripted core handler: the application's controllers win,
 * everything else under the prefix reaches core, and flushed bytes reach the client before the
 * handler returns.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    classes = ShimmyHandlerMappingWebTest.App.class,
    properties = {
      "spring.web.resources.add-mappings=true",
      "server.compression.enabled=true",
      "server.compression.mime-types=application/x-ndjson,text/plain,application/json",
      "server.compression.min-response-size=1"
    })
class ShimmyHandlerMappingWebTest {

  static final CountDownLatch firstChunkRead = new CountDownLatch(1);

  @LocalServerPort int port;
  @Autowired ShimmyHandlerMapping mapping;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void theApplicationsOwnControllerWinsOverTheCatchAll() throws Exception {
    HttpResponse<String> own = get("/api/own");
    HttpResponse<String> other = get("/api/other?x=1");

    assertThat(own.body()).isEqualTo("own controller");
    assertThat(other.statusCode()).isEqualTo(418);
    assertThat(other.body()).isEqualTo("core saw GET /other?x=1");
  }

  @Test
  void aCorsPreflightIsHandedToCoreLikeAnyOtherRequest() throws Exception {
    HttpResponse<String> preflight =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/v1/chat/completions"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "http://example.test")
                .header("Access-Control-Request-Method", "POST")
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(preflight.statusCode()).isEqualTo(418);
    assertThat(preflight.body()).isEqualTo("core saw OPTIONS /v1/chat/completions");
  }

  @Test
  void requestsOutsideTheMountPrefixAreNotHandedToCore() throws Exception {
    assertThat(mapping.mountPrefix()).isEqualTo("/api");

    HttpResponse<String> outside = get("/elsewhere");

    assertThat(outside.statusCode()).isEqualTo(404);
    assertThat(outside.body()).doesNotContain("core saw");
  }

  @Test
  void flushedChunksReachTheClientUncompressedWhileTheHandlerIsStillWriting() throws Exception {
    HttpResponse<java.io.InputStream> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/stream"))
                .header("Accept-Encoding", "gzip")
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.headers().firstValue("Content-Encoding")).hasValue("identity");
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      assertThat(reader.readLine()).isEqualTo("{\"status\":\"starting\"}");
      firstChunkRead.countDown();
      assertThat(reader.readLine()).isEqualTo("{\"status\":\"complete\"}");
    }
  }

  @Test
  void aFailureAfterTheResponseStartedBreaksTheConnectionInsteadOfEndingTheBodyCleanly()
      throws Exception {
    // HttpURLConnection reads the socket in order: the JDK HttpClient's InputStream throws as soon
    // as the failure is signalled and may drop the line it had received but not yet handed out.
    java.net.HttpURLConnection connection =
        (java.net.HttpURLConnection)
            URI.create("http://127.0.0.1:" + port + "/api/broken").toURL().openConnection();
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(reader.readLine()).isEqualTo("{\"status\":\"starting\"}");
      org.assertj.core.api.Assertions.assertThatThrownBy(reader::readLine)
          .isInstanceOf(java.io.IOException.class);
    } finally {
      connection.disconnect();
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration(
      exclude = {ShimmyAutoConfiguration.class, ShimmyHealthContributorAutoConfiguration.class})
  static class App {

    @Bean
    ShimmyHandlerMapping shimmyHandlerMapping() {
      HttpHandler core =
          exchange -> {
            if (exchange.path().equals("/stream")) {
              exchange.status(200);
              exchange.addResponseHeader("Content-Type", "application/x-ndjson");
              OutputStream body = exchange.responseBody();
              body.write("{\"status\":\"starting\"}\n".getBytes(StandardCharsets.UTF_8));
              body.flush();
              try {
                if (!firstChunkRead.await(20, TimeUnit.SECONDS)) {
                  throw new IllegalStateException("the first chunk never reached the client");
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              body.write("{\"status\":\"complete\"}\n".getBytes(StandardCharsets.UTF_8));
              body.flush();
              return;
            }
            if (exchange.path().equals("/broken")) {
              exchange.status(200);
              exchange.addResponseHeader("Content-Type", "application/x-ndjson");
              OutputStream body = exchange.responseBody();
              body.write("{\"status\":\"starting\"}\n".getBytes(StandardCharsets.UTF_8));
              body.flush();
              throw new java.io.IOException("upstream reset mid-stream");
            }
            exchange.status(418);
            byte[] text =
                ("core saw "
                        + exchange.method()
                        + " "
                        + exchange.path()
                        + (exchange.rawQuery() == null ? "" : "?" + exchange.rawQuery()))
                    .getBytes(StandardCharsets.UTF_8);
            exchange.responseBody().write(text);
          };
      return new ShimmyHandlerMapping("/api/", core, true);
    }

    @RestController
    static class OwnController {
      @GetMapping("/api/own")
      String own() {
        return "own controller";
      }
    }
  }
}
