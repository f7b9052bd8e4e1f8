package io.github.shimmypull.testkit.internal.shimmy;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The fake Shimmy's HTTP API (shimmy-contract §3): health, model lists, generation endpoints with
 * Shimmy's status codes, streaming default and exact SSE chunk sequence, first-model pinning and
 * serialised generations. Generated text is deterministic: {@code Hello from <pinned id>}.
 */
public final class FakeShimmyServer {

  private static final int MAX_BODY = 2 * 1024 * 1024;
  private static final int MAX_TOKENS_LIMIT = 131072;
  private static final Pattern MODEL_ACTION =
      Pattern.compile("^/api/models/([^/]+)/(load|unload|status)$");
  private static final Map<String, String> ROUTES =
      Map.ofEntries(
          Map.entry("/health", "GET"),
          Map.entry("/metrics", "GET"),
          Map.entry("/diag", "GET"),
          Map.entry("/api/generate", "POST"),
          Map.entry("/api/models", "GET"),
          Map.entry("/api/models/discover", "POST"),
          Map.entry("/api/tools", "GET"),
          Map.entry("/v1/chat/completions", "POST"),
          Map.entry("/v1/models", "GET"),
          Map.entry("/v1/completions", "POST"),
          Map.entry("/api/tags", "GET"),
          Map.entry("/v1/messages", "POST"));

  private final Registry registry;
  private final List<Path> roots;
  private final Knobs knobs;
  private final PrintStream err;
  private final ReentrantLock engine = new ReentrantLock(true);
  private final AtomicInteger inferenceRequests = new AtomicInteger();
  private volatile Registry.@Nullable Entry pinned;

  private FakeShimmyServer(Registry registry, List<Path> roots, Knobs knobs, PrintStream err) {
    this.registry = registry;
    this.roots = roots;
    this.knobs = knobs;
    this.err = err;
  }

  /** Binds and starts serving on non-daemon threads; throws when the address cannot be bound. */
  public static void start(
      InetSocketAddress address, Registry registry, List<Path> roots, Knobs knobs, PrintStream err)
      throws IOException {
    FakeShimmyServer fake = new FakeShimmyServer(registry, roots, knobs, err);
    HttpServer server = HttpServer.create(address, 128);
    server.createContext("/", fake::handle);
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
    if (knobs.crashAfterMs() > 0) {
      Thread crash =
          new Thread(
              () -> {
                try {
                  Thread.sleep(knobs.crashAfterMs());
                } catch (InterruptedException e) {
                  return;
                }
                fake.crash("FAKE_SHIMMY_CRASH_AFTER_MS elapsed");
              },
              "fake-shimmy-crash-timer");
      crash.setDaemon(true);
      crash.start();
    }
  }

  private void crash(String why) {
    err.println("thread 'tokio-runtime-worker' panicked at src/fake.rs:1:1:");
    err.println("fake shimmy crash: " + why);
    err.flush();
    Runtime.getRuntime().halt(knobs.crashExitCode());
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      Headers h = ex.getResponseHeaders();
      h.set("Access-Control-Allow-Origin", "*");
      h.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      h.set("Access-Control-Allow-Headers", "Content-Type, Authorization");
      h.set("Access-Control-Max-Age", "86400");
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      Matcher action = MODEL_ACTION.matcher(path);
      String expected = ROUTES.get(path);
      if (expected == null && action.matches()) {
        expected = action.group(2).equals("status") ? "GET" : "POST";
      }
      if (expected == null) {
        empty(ex, 404);
        return;
      }
      if (method.equals("OPTIONS")) {
        empty(ex, 200);
        return;
      }
      if (!method.equals(expected)) {
        empty(ex, 405);
        return;
      }
      if (expected.equals("POST") && isInference(path)) {
        int n = inferenceRequests.incrementAndGet();
        if (knobs.crashAfterRequests() > 0 && n >= knobs.crashAfterRequests()) {
          crash("FAKE_SHIMMY_CRASH_AFTER_REQUESTS reached (" + n + ")");
        }
      }
      if (action.matches() && !ROUTES.containsKey(path)) {
        modelAction(ex, action.group(1), action.group(2));
        return;
      }
      switch (path) {
        case "/health" -> json(ex, 200, health());
        case "/metrics" -> json(ex, 200, metrics());
        case "/diag" ->
            json(
                ex,
                200,
                Json.object(
                    "os",
                    "linux",
                    "cores",
                    Runtime.getRuntime().availableProcessors(),
                    "mem_total_mb",
                    Runtime.getRuntime().maxMemory() / 1024));
        case "/v1/models" -> json(ex, 200, models());
        case "/api/tags" -> json(ex, 200, tags());
        case "/api/models" -> json(ex, 200, Json.object("models", modelInfos()));
        case "/api/models/discover" -> discover(ex);
        case "/api/tools" -> json(ex, 200, Json.object("tools", List.of()));
        case "/v1/chat/completions" -> chat(ex);
        case "/v1/completions" -> completions(ex);
        case "/api/generate" -> generate(ex);
        case "/v1/messages" -> messages(ex);
        default -> empty(ex, 404);
      }
    } catch (IOException e) {
      // The client went away mid-response; nothing to clean up.
    }
  }

  /** Whether this request's JSON contains the {@code FAKE_SHIMMY_CRASH_MID_STREAM_ON} text. */
  private boolean crashesMidStream(Map<String, Object> body) {
    String trigger = knobs.crashMidStreamOn();
    return trigger != null && Json.write(body).contains(trigger);
  }

  private static boolean isInference(String path) {
    return path.equals("/api/generate")
        || path.equals("/v1/chat/completions")
        || path.equals("/v1/completions")
        || path.equals("/v1/messages");
  }

  private Map<String, Object> health() {
    int discovered = registry.discoveredEntries().size();
    int manual = registry.manualEntries().size();
    return Json.object(
        "compatibility",
        Json.object("cors", true, "openai", true),
        "endpoints",
        Json.object(
            "chat", "/v1/chat/completions",
            "generate", "/api/generate",
            "health", "/health",
            "models", "/v1/models"),
        "models",
        Json.object("discovered", discovered, "manual", manual, "total", registry.allIds().size()),
        "service",
        "shimmy",
        "status",
        "ok",
        "timestamp",
        OffsetDateTime.now(ZoneOffset.UTC)
            .format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'+00:00'")),
        "uptime_seconds",
        System.currentTimeMillis() / 1000,
        "version",
        FakeShimmyProcess.VERSION);
  }

  private Map<String, Object> metrics() {
    long total = 0;
    for (Registry.Entry e : registry.discoveredEntries()) {
      total += Math.max(0, e.sizeBytes());
    }
    return Json.object(
        "endpoints",
        List.of(
            "/health",
            "/metrics",
            "/api/generate",
            "/api/models",
            "/v1/chat/completions",
            "/v1/models"),
        "features",
        Json.object("huggingface", true),
        "gpu_detected",
        false,
        "gpu_vendor",
        Json.NULL,
        "models",
        Json.object(
            "by_type",
                Json.object(
                    "discovered", registry.discoveredEntries().size(),
                    "manual", registry.manualEntries().size()),
            "total_count", registry.allIds().size(),
            "total_size_mb", total / (1024 * 1024)),
        "service",
        "shimmy",
        "system",
        Json.object(
            "memory_available_mb", Runtime.getRuntime().freeMemory() / (1024 * 1024),
            "memory_free_mb", Runtime.getRuntime().freeMemory() / (1024 * 1024),
            "memory_total_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024)),
        "timestamp",
        System.currentTimeMillis() / 1000,
        "version",
        FakeShimmyProcess.VERSION);
  }

  private Map<String, Object> models() {
    long now = System.currentTimeMillis() / 1000;
    List<Object> data = new ArrayList<>();
    for (String id : registry.allIds()) {
      data.add(Json.object("id", id, "object", "model", "created", now, "owned_by", "shimmy"));
    }
    return Json.object("object", "list", "data", data);
  }

  private Map<String, Object> tags() {
    List<Object> list = new ArrayList<>();
    for (String id : registry.allIds()) {
      list.add(
          Json.object(
              "name",
              id,
              "model",
              id,
              "modified_at",
              "2025-01-01T00:00:00Z",
              "size",
              0,
              "digest",
              "",
              "details",
              Json.object(
                  "format", "gguf",
                  "family", "",
                  "parameter_size", "",
                  "quantization_level", "")));
    }
    return Json.object("models", list);
  }

  private List<Object> modelInfos() {
    List<Object> list = new ArrayList<>();
    for (Registry.Entry e : registry.manualEntries()) {
      list.add(
          Json.object(
              "name", e.id(),
              "size_bytes", Json.NULL,
              "model_type", Json.NULL,
              "parameter_count", Json.NULL,
              "source", "registered"));
    }
    for (Registry.Entry e : registry.discoveredEntries()) {
      list.add(info(e.id(), e.path(), e.sizeBytes()));
    }
    return list;
  }

  private static Map<String, Object> info(String id, Path path, long size) {
    String lower = path.getFileName().toString().toLowerCase(Locale.ROOT);
    String type = "Unknown";
    for (String t : List.of("Llama", "Phi", "Gemma", "Mistral", "Qwen")) {
      if (lower.contains(t.toLowerCase(Locale.ROOT))) {
        type = t;
        break;
      }
    }
    Object params = Json.NULL;
    for (String p : List.of("3b", "7b", "13b", "70b")) {
      if (lower.contains(p)) {
        params = p.toUpperCase(Locale.ROOT);
        break;
      }
    }
    return Json.object(
        "name", id,
        "size_bytes", size,
        "model_type", type,
        "parameter_count", params,
        "source", "discovered");
  }

  private void discover(HttpExchange ex) throws IOException {
    List<Object> list = new ArrayList<>();
    for (ModelScan.Found f : ModelScan.scan(roots)) {
      list.add(info(f.name(), f.path(), f.sizeBytes()));
    }
    json(ex, 200, Json.object("discovered", list.size(), "models", list));
  }

  private void modelAction(HttpExchange ex, String name, String action) throws IOException {
    if (action.equals("status")) {
      json(ex, 200, Json.object("loaded", false, "model", name, "status", "unknown"));
    } else {
      json(
          ex,
          200,
          Json.object(
              "message", "Model " + name + " " + action + " requested", "status", "pending"));
    }
  }

  /** A parsed request body, or null when a rejection was already sent. */
  /**
   * The {@code model} of a request body that {@link #body} accepted (it checks that it is a
   * string).
   */
  private static String model(Map<String, Object> body) {
    return (String) Objects.requireNonNull(body.get("model"), "model");
  }

  private @Nullable Map<String, Object> body(HttpExchange ex, String... requiredFields)
      throws IOException {
    String contentType = ex.getRequestHeaders().getFirst("Content-Type");
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).contains("json")) {
      text(ex, 415, "Expected request with `Content-Type: application/json`");
      return null;
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (InputStream in = ex.getRequestBody()) {
      byte[] chunk = new byte[8192];
      int n;
      while ((n = in.read(chunk)) > 0) {
        buf.write(chunk, 0, n);
        if (buf.size() > MAX_BODY) {
          text(ex, 413, "Failed to buffer the request body: length limit exceeded");
          return null;
        }
      }
    }
    Object parsed;
    try {
      parsed = Json.parse(buf.toString(StandardCharsets.UTF_8));
    } catch (Json.MalformedJsonException e) {
      text(ex, 400, "Failed to parse the request body as JSON: " + e.getMessage());
      return null;
    }
    if (!(parsed instanceof Map)) {
      text(ex, 422, "Failed to deserialize the JSON body into the target type: expected a map");
      return null;
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) parsed;
    for (String field : requiredFields) {
      if (!map.containsKey(field)) {
        text(
            ex,
            422,
            "Failed to deserialize the JSON body into the target type: missing field `"
                + field
                + "`");
        return null;
      }
    }
    if (!(map.get("model") instanceof String)) {
      text(
          ex, 422, "Failed to deserialize the JSON body into the target type: model: invalid type");
      return null;
    }
    for (String flag : List.of("stream")) {
      Object v = map.get(flag);
      if (v != null && v != Json.NULL && !(v instanceof Boolean)) {
        text(
            ex,
            422,
            "Failed to deserialize the JSON body into the target type: stream: invalid type");
        return null;
      }
    }
    return map;
  }

  private static boolean streaming(Map<String, Object> body) {
    Object v = body.get("stream");
    return !(v instanceof Boolean) || (Boolean) v;
  }

  private static @Nullable Long maxTokens(Map<String, Object> body) {
    Object v = body.get("max_tokens");
    return v instanceof Number ? ((Number) v).longValue() : null;
  }

  private static boolean badMaxTokens(@Nullable Long maxTokens) {
    return maxTokens != null && (maxTokens == 0 || maxTokens > MAX_TOKENS_LIMIT || maxTokens < 0);
  }

  private static Map<String, Object> openAiError(
      String message, String type, @Nullable String param, String code) {
    return Json.object(
        "error",
        Json.object(
            "code",
            code,
            "message",
            message,
            "param",
            param == null ? Json.NULL : param,
            "type",
            type));
  }

  private String notFoundMessage(String model) {
    List<String> quoted = new ArrayList<>();
    for (String id : registry.allIds()) {
      quoted.add("\"" + id + "\"");
    }
    return "Model '" + model + "' not found. Available models: [" + String.join(", ", quoted) + "]";
  }

  /** The tokens a generation produces: cycling {@code Hello}, {@code from}, {@code <pinned id>}. */
  private List<String> tokens(Registry.Entry pinnedEntry, @Nullable Long maxTokens) {
    long count = knobs.tokens();
    if (maxTokens != null) {
      count = Math.min(count, maxTokens);
    }
    List<String> words = List.of("Hello", " from", " " + pinnedEntry.id());
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(words.get(i % words.size()));
    }
    return out;
  }

  /** Loads (pins) the first model used; every later request is served by the pinned one. */
  private Registry.Entry load(Registry.Entry requested) {
    Registry.Entry p = pinned;
    if (p == null) {
      pinned = requested;
      p = requested;
    }
    return p;
  }

  private void pause() {
    if (knobs.tokenDelayMs() > 0) {
      try {
        Thread.sleep(knobs.tokenDelayMs());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void chat(HttpExchange ex) throws IOException {
    Map<String, Object> body = body(ex, "model", "messages");
    if (body == null) {
      return;
    }
    if (!(body.get("messages") instanceof List)) {
      text(
          ex,
          422,
          "Failed to deserialize the JSON body into the target type: messages: invalid type");
      return;
    }
    if (((List<?>) body.get("messages")).isEmpty()) {
      json(
          ex,
          400,
          openAiError(
              "messages must not be empty",
              "invalid_request_error",
              "messages",
              "invalid_messages"));
      return;
    }
    Long maxTokens = maxTokens(body);
    if (badMaxTokens(maxTokens)) {
      json(
          ex,
          400,
          openAiError(
              "max_tokens must be between 1 and " + MAX_TOKENS_LIMIT,
              "invalid_request_error",
              "max_tokens",
              "invalid_max_tokens"));
      return;
    }
    String model = model(body);
    Registry.Entry entry = registry.find(model);
    if (entry == null) {
      json(
          ex,
          404,
          openAiError(notFoundMessage(model), "invalid_request_error", "model", "model_not_found"));
      return;
    }
    String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
    long created = System.currentTimeMillis() / 1000;
    engine.lock();
    try {
      List<String> tokens = tokens(load(entry), maxTokens);
      if (!streaming(body)) {
        StringBuilder text = new StringBuilder();
        for (String t : tokens) {
          pause();
          text.append(t);
        }
        json(
            ex,
            200,
            Json.object(
                "id",
                id,
                "object",
                "chat.completion",
                "created",
                created,
                "model",
                model,
                "choices",
                List.of(
                    Json.object(
                        "index",
                        0,
                        "message",
                        Json.object("role", "assistant", "content", text.toString()),
                        "finish_reason",
                        "stop")),
                "usage",
                Json.object("prompt_tokens", 0, "completion_tokens", 0, "total_tokens", 0)));
        return;
      }
      boolean crashMidStream = crashesMidStream(body);
      OutputStream out = startSse(ex);
      sse(out, Json.write(chunk(id, created, model, Json.NULL, "assistant", Json.NULL)));
      for (String t : tokens) {
        pause();
        sse(out, Json.write(chunk(id, created, model, t, Json.NULL, Json.NULL)));
        if (crashMidStream) {
          crash("FAKE_SHIMMY_CRASH_MID_STREAM_ON matched a streamed chat");
        }
      }
      sse(out, Json.write(chunk(id, created, model, Json.NULL, Json.NULL, "stop")));
      sse(out, "[DONE]");
    } finally {
      engine.unlock();
    }
  }

  private static Map<String, Object> chunk(
      String id, long created, String model, Object content, Object role, Object finish) {
    return Json.object(
        "id", id,
        "object", "chat.completion.chunk",
        "created", created,
        "model", model,
        "choices",
            List.of(
                Json.object(
                    "index",
                    0,
                    "delta",
                    Json.object("content", content, "role", role),
                    "finish_reason",
                    finish)));
  }

  private void completions(HttpExchange ex) throws IOException {
    Map<String, Object> body = body(ex, "model", "prompt");
    if (body == null) {
      return;
    }
    if (!(body.get("prompt") instanceof String)) {
      text(
          ex,
          422,
          "Failed to deserialize the JSON body into the target type: prompt: invalid type");
      return;
    }
    String prompt = (String) body.get("prompt");
    if (prompt.isBlank()) {
      json(
          ex,
          400,
          openAiError(
              "prompt must not be empty", "invalid_request_error", "prompt", "invalid_prompt"));
      return;
    }
    Long maxTokens = maxTokens(body);
    if (badMaxTokens(maxTokens)) {
      json(
          ex,
          400,
          openAiError(
              "max_tokens must be between 1 and " + MAX_TOKENS_LIMIT,
              "invalid_request_error",
              "max_tokens",
              "invalid_max_tokens"));
      return;
    }
    String model = model(body);
    Registry.Entry entry = registry.find(model);
    if (entry == null) {
      json(
          ex,
          404,
          openAiError(
              "Model '" + model + "' not found",
              "invalid_request_error",
              "model",
              "model_not_found"));
      return;
    }
    StringBuilder text = new StringBuilder();
    engine.lock();
    try {
      for (String t : tokens(load(entry), maxTokens)) {
        pause();
        text.append(t);
      }
    } finally {
      engine.unlock();
    }
    int promptWords = words(prompt);
    int completionWords = words(text.toString());
    json(
        ex,
        200,
        Json.object(
            "choices",
            List.of(
                Json.object(
                    "finish_reason",
                    "stop",
                    "index",
                    0,
                    "logprobs",
                    Json.NULL,
                    "text",
                    text.toString())),
            "created",
            System.currentTimeMillis() / 1000,
            "id",
            "cmpl-" + UUID.randomUUID().toString().replace("-", ""),
            "model",
            model,
            "object",
            "text_completion",
            "usage",
            Json.object(
                "completion_tokens", completionWords,
                "prompt_tokens", promptWords,
                "total_tokens", promptWords + completionWords)));
  }

  private static int words(String s) {
    String t = s.trim();
    return t.isEmpty() ? 0 : t.split("\\s+").length;
  }

  private void generate(HttpExchange ex) throws IOException {
    Map<String, Object> body = body(ex, "model");
    if (body == null) {
      return;
    }
    String model = model(body);
    Registry.Entry entry = registry.find(model);
    if (entry == null) {
      empty(ex, 404);
      return;
    }
    engine.lock();
    try {
      List<String> tokens = tokens(load(entry), maxTokens(body));
      if (!streaming(body)) {
        StringBuilder text = new StringBuilder();
        for (String t : tokens) {
          pause();
          text.append(t);
        }
        json(ex, 200, Json.object("response", text.toString()));
        return;
      }
      boolean crashMidStream = crashesMidStream(body);
      OutputStream out = startSse(ex);
      for (String t : tokens) {
        pause();
        sse(out, t);
        if (crashMidStream) {
          crash("FAKE_SHIMMY_CRASH_MID_STREAM_ON matched a streamed generation");
        }
      }
      sse(out, "[DONE]");
    } finally {
      engine.unlock();
    }
  }

  private void messages(HttpExchange ex) throws IOException {
    Map<String, Object> body = body(ex, "model", "max_tokens", "messages");
    if (body == null) {
      return;
    }
    String model = model(body);
    Registry.Entry entry = registry.find(model);
    if (entry == null) {
      empty(ex, 404);
      return;
    }
    StringBuilder text = new StringBuilder();
    engine.lock();
    try {
      for (String t : tokens(load(entry), maxTokens(body))) {
        pause();
        text.append(t);
      }
    } finally {
      engine.unlock();
    }
    int approx = (text.length() + 3) / 4;
    json(
        ex,
        200,
        Json.object(
            "id",
            "msg_" + UUID.randomUUID(),
            "type",
            "message",
            "role",
            "assistant",
            "content",
            List.of(Json.object("type", "text", "text", text.toString())),
            "model",
            model,
            "stop_reason",
            "end_turn",
            "stop_sequence",
            Json.NULL,
            "usage",
            Json.object("input_tokens", approx, "output_tokens", approx)));
  }

  private static OutputStream startSse(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.sendResponseHeaders(200, 0);
    return ex.getResponseBody();
  }

  private static void sse(OutputStream out, String data) throws IOException {
    out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void json(HttpExchange ex, int status, Object body) throws IOException {
    byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  private static void text(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  private static void empty(HttpExchange ex, int status) throws IOException {
    ex.sendResponseHeaders(status, -1);
  }
}
