package io.github.shimmypull.server.javalin;

import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_FILE;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_REPO;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.server.javalin.support.Api;
import io.github.shimmypull.server.javalin.support.Servers;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.StreamSupport;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Ollama's API on the server jar, as an Ollama client uses it: pull a Hugging Face GGUF by its
 * {@code hf.co/...} name from the fake Hub, list it, show it, chat with the fake Shimmy both ways,
 * generate, see it running, delete it.
 */
class OllamaApiEndToEndTest extends FrontServerFixture {

  private static final String NAME = "hf.co/" + TINYLLAMA_REPO + ":Q2_K";

  private List<String> tagNames() {
    Api.Reply tags = api.get("/api/tags");
    assertThat(tags.status()).isEqualTo(200);
    return StreamSupport.stream(tags.json().path("models").spliterator(), false)
        .map(m -> m.path("name").asString())
        .toList();
  }

  /** {@code /api/show} with a chunked body (no Content-Length), as some clients send it. */
  private HttpResponse<String> chunkedShow() throws Exception {
    byte[] body = ("{\"name\":\"" + NAME + "\"}").getBytes(StandardCharsets.UTF_8);
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(api.url("/api/show")))
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anOllamaClientPullsByHfCoNameChatsBothWaysAndDeletes() throws Exception {
    startServer(Servers.fakeShimmy());
    assertThat(api.get("/api/tags").body()).isEqualTo("{\"models\":[]}");
    assertThat(api.get("/api/version").json().path("version").asString()).isNotBlank();

    List<String> progress =
        api.streamLines("/api/pull", "{\"model\":\"" + NAME + "\"}", null, line -> {});
    assertThat(Api.json(progress.get(0)).path("status").asString()).isEqualTo("pulling manifest");
    assertThat(Api.json(progress.get(progress.size() - 1)).path("status").asString())
        .isEqualTo("success");
    assertThat(modelDir.resolve(TINYLLAMA_FILE)).exists();
    assertThat(tagNames()).containsExactly(NAME);
    assertThat(
            api.postJson("/api/show", "{\"model\":\"" + NAME + "\"}")
                .json()
                .path("details")
                .path("format")
                .asString())
        .isEqualTo("gguf");
    assertThat(chunkedShow().statusCode()).isEqualTo(200);

    List<String> chat =
        api.streamLines(
            "/api/chat",
            "{\"model\":\"" + NAME + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
            null,
            line -> {});
    assertThat(chat).hasSizeGreaterThan(1);
    JsonNode last = Api.json(chat.get(chat.size() - 1));
    assertThat(last.path("done").asBoolean()).isTrue();
    assertThat(last.path("done_reason").asString()).isEqualTo("stop");
    StringBuilder streamed = new StringBuilder();
    chat.subList(0, chat.size() - 1)
        .forEach(l -> streamed.append(Api.json(l).path("message").path("content").asString()));
    assertThat(streamed.toString()).isNotBlank();

    JsonNode whole =
        api.postJson(
                "/api/chat",
                "{\"model\":\""
                    + NAME
                    + "\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
            .json();
    assertThat(whole.path("message").path("content").asString()).isEqualTo(streamed.toString());
    JsonNode generated =
        api.postJson(
                "/api/generate", "{\"model\":\"" + NAME + "\",\"stream\":false,\"prompt\":\"hi\"}")
            .json();
    assertThat(generated.path("done").asBoolean()).isTrue();
    assertThat(generated.path("response").asString()).isNotBlank();

    Api.Reply deleted =
        api.send(
            new Request.Builder()
                .url(api.url("/api/delete"))
                .delete(RequestBody.create("{\"model\":\"" + NAME + "\"}", Api.JSON))
                .build());
    assertThat(deleted.status()).isEqualTo(200);
    assertThat(tagNames()).isEmpty();
    assertThat(modelDir.resolve(TINYLLAMA_FILE)).doesNotExist();
  }
}
