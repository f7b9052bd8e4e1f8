package io.github.shimmypull.server.javalin.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** A small HTTP client for the front server under test. */
public final class Api {

  public static final MediaType JSON = MediaType.get("application/json");
  private static final ObjectMapper MAPPER = JsonMapper.builder().build();
  private static final OkHttpClient CLIENT =
      new OkHttpClient.Builder()
          .readTimeout(Duration.ofSeconds(120))
          .callTimeout(Duration.ZERO)
          .build();

  private final String base;

  public Api(String base) {
    this.base = base;
  }

  public static Api at(String base) {
    return new Api(base);
  }

  public String url(String path) {
    return base + path;
  }

  public Reply get(String path) {
    return send(new Request.Builder().url(url(path)).build());
  }

  public Reply delete(String path, @Nullable String token) {
    Request.Builder b = new Request.Builder().url(url(path)).delete();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return send(b.build());
  }

  public Reply postJson(String path, String json) {
    return send(new Request.Builder().url(url(path)).post(RequestBody.create(json, JSON)).build());
  }

  public Reply postJson(String path, String json, String token) {
    return send(
        new Request.Builder()
            .url(url(path))
            .header("Authorization", "Bearer " + token)
            .post(RequestBody.create(json, JSON))
            .build());
  }

  public Reply send(Request request) {
    try (Response response = CLIENT.newCall(request).execute()) {
      return new Reply(
          response.code(),
          response.header("Content-Type"),
          response.body().string(),
          response.header("Retry-After"));
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.url() + " failed", e);
    }
  }

  /**
   * Posts and hands each line of the streamed reply to {@code onLine} as it arrives; returns every
   * line.
   */
  public List<String> streamLines(
      String path, String json, @Nullable String token, Consumer<String> onLine) {
    Request.Builder b = new Request.Builder().url(url(path)).post(RequestBody.create(json, JSON));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    List<String> lines = new ArrayList<>();
    try (Response response = CLIENT.newCall(b.build()).execute()) {
      BufferedSource source = response.body().source();
      String line;
      while ((line = source.readUtf8Line()) != null) {
        lines.add(line);
        onLine.accept(line);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return lines;
  }

  public static JsonNode json(String text) {
    return MAPPER.readTree(text);
  }

  public static OkHttpClient client() {
    return CLIENT;
  }

  /** Status, content type and body of a finished exchange. */
  public record Reply(
      int status, @Nullable String contentType, String body, @Nullable String retryAfter) {
    public JsonNode json() {
      return Api.json(body);
    }

    public String code() {
      return json().path("code").asString("");
    }
  }
}
