package io.github.shimmypull.core.ollama.internal;

import io.github.shimmypull.core.internal.Json;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * One streaming generation on a Shimmy instance: posts the request, then reads Shimmy's SSE as it
 * arrives and hands each token to a {@link Sink}. Two dialects: {@link Dialect#CHAT} ({@code
 * /v1/chat/completions}, each event a {@code chat.completion.chunk}) and {@link Dialect#GENERATE}
 * ({@code /api/generate}, each event the raw token text, {@code [ERROR] msg}, then {@code [DONE]}).
 * The response is always closed.
 */
public final class ShimmyStream {

  private static final MediaType JSON = MediaType.get("application/json");
  private static final int MAX_ERROR_BODY = 16 * 1024;

  /** Which Shimmy endpoint and event format. */
  public enum Dialect {
    CHAT("/v1/chat/completions"),
    GENERATE("/api/generate");

    private final String path;

    Dialect(String path) {
      this.path = path;
    }

    public String path() {
      return path;
    }
  }

  /**
   * Receives tokens as they arrive; an {@link IOException} (the client went away) ends the call.
   */
  @FunctionalInterface
  public interface Sink {
    void token(String text) throws IOException;
  }

  /** Shimmy refused the request before streaming: its status and message. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    Refused(int status, String message) {
      super(message);
      this.status = status;
    }

    public int status() {
      return status;
    }

    /** Shimmy's own error message (never null: the constructor takes one). */
    @Override
    public String getMessage() {
      return String.valueOf(super.getMessage());
    }
  }

  /**
   * How a stream ended.
   *
   * @param tokens how many tokens arrived
   * @param finishReason Shimmy's {@code finish_reason}, or null
   * @param error why the stream broke off, or null when it ended with {@code [DONE]}
   * @param firstTokenNanos {@link System#nanoTime()} of the first token, or of the end when none
   *     came
   */
  public record Outcome(
      int tokens, @Nullable String finishReason, @Nullable String error, long firstTokenNanos) {}

  private final OkHttpClient client;

  public ShimmyStream(OkHttpClient client) {
    this.client = client;
  }

  /**
   * Posts {@code body} to the instance at {@code baseUrl} and streams the tokens to {@code sink}.
   *
   * @throws Refused when Shimmy answers with an error status (nothing was streamed)
   * @throws IOException when Shimmy cannot be reached (nothing was streamed), or from the sink
   */
  public Outcome run(URI baseUrl, Dialect dialect, byte[] body, Sink sink)
      throws IOException, Refused {
    HttpUrl url = HttpUrl.get(baseUrl.toString()).newBuilder().encodedPath(dialect.path()).build();
    Request request =
        new Request.Builder()
            .url(url)
            .header("Accept", "text/event-stream")
            .post(RequestBody.create(body, JSON))
            .build();
    Call call = client.newCall(request);
    try (Response response = call.execute()) {
      ResponseBody responseBody = response.body();
      if (!response.isSuccessful()) {
        throw new Refused(response.code(), errorText(response.code(), responseBody));
      }
      String contentType = response.header("Content-Type", "");
      if (contentType == null
          || !contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
        return whole(dialect, responseBody, sink);
      }
      return events(dialect, responseBody.source(), sink);
    }
  }

  private static Outcome events(Dialect dialect, BufferedSource source, Sink sink)
      throws IOException {
    int tokens = 0;
    long first = 0;
    String finish = null;
    StringBuilder data = null;
    while (true) {
      String line;
      try {
        line = source.readUtf8Line();
      } catch (IOException e) {
        return new Outcome(
            tokens, finish, "the Shimmy stream broke off: " + e.getMessage(), first(first));
      }
      if (line == null || line.isEmpty()) {
        if (data != null) {
          String event = data.toString();
          data = null;
          if (event.equals("[DONE]")) {
            return new Outcome(tokens, finish, null, first(first));
          }
          if (dialect == Dialect.GENERATE && event.startsWith("[ERROR]")) {
            return new Outcome(
                tokens, finish, event.substring("[ERROR]".length()).strip(), first(first));
          }
          Token token = dialect == Dialect.CHAT ? chatToken(event) : new Token(event, null, null);
          if (token.error() != null) {
            return new Outcome(tokens, finish, token.error(), first(first));
          }
          if (token.finishReason() != null) {
            finish = token.finishReason();
          }
          if (token.text() != null && !token.text().isEmpty()) {
            if (first == 0) {
              first = System.nanoTime();
            }
            tokens++;
            sink.token(token.text());
          }
        }
        if (line == null) {
          return new Outcome(
              tokens, finish, "the Shimmy stream ended without [DONE]", first(first));
        }
        continue;
      }
      if (line.startsWith(":")) {
        continue;
      }
      if (line.startsWith("data:")) {
        String value = line.substring(5);
        if (value.startsWith(" ")) {
          value = value.substring(1);
        }
        data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
      }
    }
  }

  /** A non-streamed answer (Shimmy ignored {@code stream}): the whole text as one token. */
  private static Outcome whole(Dialect dialect, ResponseBody body, Sink sink) throws IOException {
    JsonNode root;
    try {
      root = Json.readTree(body.bytes());
    } catch (JacksonException e) {
      return new Outcome(0, null, "Shimmy answered something that is not JSON", System.nanoTime());
    }
    String text =
        dialect == Dialect.CHAT
            ? root.path("choices").path(0).path("message").path("content").asString("")
            : root.path("response").asString("");
    long first = System.nanoTime();
    if (!text.isEmpty()) {
      sink.token(text);
    }
    String finish =
        dialect == Dialect.CHAT
            ? root.path("choices").path(0).path("finish_reason").asString(null)
            : null;
    return new Outcome(text.isEmpty() ? 0 : 1, finish, null, first);
  }

  private record Token(
      @Nullable String text, @Nullable String finishReason, @Nullable String error) {}

  private static Token chatToken(String event) {
    JsonNode chunk;
    try {
      chunk = Json.readTree(event.getBytes(StandardCharsets.UTF_8));
    } catch (JacksonException e) {
      return new Token(null, null, "Shimmy sent an event that is not JSON");
    }
    if (chunk == null || !chunk.isObject()) {
      return new Token(null, null, "Shimmy sent an event that is not a JSON object");
    }
    JsonNode error = chunk.get("error");
    if (error != null && !error.isNull()) {
      String message =
          error.isObject()
              ? error.path("message").asString(error.toString())
              : error.asString(error.toString());
      return new Token(null, null, message);
    }
    JsonNode choice = chunk.path("choices").path(0);
    JsonNode content = choice.path("delta").path("content");
    JsonNode finish = choice.path("finish_reason");
    return new Token(
        content.isString() ? content.stringValue() : null,
        finish.isString() ? finish.stringValue() : null,
        null);
  }

  private static long first(long first) {
    return first == 0 ? System.nanoTime() : first;
  }

  private static String errorText(int status, ResponseBody body) {
    String text;
    try {
      BufferedSource source = body.source();
      source.request(MAX_ERROR_BODY);
      long size = Math.min(source.getBuffer().size(), MAX_ERROR_BODY);
      text = source.getBuffer().readUtf8(size).strip();
    } catch (IOException e) {
      text = "";
    }
    if (!text.isEmpty()) {
      try {
        JsonNode root = Json.readTree(text.getBytes(StandardCharsets.UTF_8));
        JsonNode error = root == null ? null : root.get("error");
        if (error != null) {
          text = error.isObject() ? error.path("message").asString(text) : error.asString(text);
        }
      } catch (JacksonException notJson) {
        // keep the text as it is
      }
    }
    return "Shimmy answered " + status + (text.isEmpty() ? "" : ": " + text);
  }
}
