package io.github.shimmypull.core.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.doubles.JdkHttpServer;
import io.github.shimmypull.core.doubles.RecordingSupervisor;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.supervisor.BackendStatus;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The 503 of a proxied request says why no instance is there, once, as /v1/health does. */
class UnavailableAnswerTest {

  @Test
  void the503NamesTheReasonTheBackendStateKnowsOnce() throws Exception {
    RecordingSupervisor supervisor =
        new RecordingSupervisor()
            .inState(BackendStatus.UNAVAILABLE, "Shimmy executable not found on PATH: shimmyy");
    try (JdkHttpServer front =
        JdkHttpServer.start(ShimmyProxy.builder().supervisor(supervisor).build())) {
      HttpResponse<String> answer =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(front.uri("/v1/chat/completions")).build(),
                  HttpResponse.BodyHandlers.ofString());

      assertThat(answer.statusCode()).isEqualTo(503);
      Map<String, Object> body = Json.readObject(answer.body());
      assertThat(body).containsEntry("code", "backend_unavailable");
      String error = (String) body.get("error");
      assertThat(error).contains("Shimmy executable not found on PATH: shimmyy");
      assertThat(error.split("no live Shimmy instance", -1)).hasSize(2);
      assertThat(error).doesNotContain("(no_backend)");
    }
  }
}
