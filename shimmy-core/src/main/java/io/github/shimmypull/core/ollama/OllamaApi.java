package io.github.shimmypull.core.ollama;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.coordinator.PullJob;
import io.github.shimmypull.core.http.ErrorResponses;
import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.http.HttpHandler;
import io.github.shimmypull.core.internal.ExchangeWrapper;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.ollama.internal.GgufReader;
import io.github.shimmypull.core.ollama.internal.ModelFacts;
import io.github.shimmypull.core.ollama.internal.PullLines;
import io.github.shimmypull.core.ollama.internal.ShimmyStream;
import io.github.shimmypull.core.pull.LocalModel;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Ollama's HTTP API, answered by shimmy-pull itself (never proxied, also while no Shimmy instance
 * runs): {@code POST /api/pull} (Hugging Face GGUFs by {@code hf.co/owner/repo[:TAG]} name through
 * the {@link PullCoordinator}), {@code GET /api/tags}, {@code POST /api/show}, {@code DELETE
 * /api/delete}, {@code GET /api/ps}, {@code GET /api/version}, and {@code POST /api/chat} / {@code
 * POST /api/generate} translated to Shimmy's {@code /v1/chat/completions} and {@code /api/generate}
 * on the model's own instance. Names are kept by {@link ModelNames}. docs/api.md says what is
 * mapped and what is ignored.
 *
 * <p>Every route parses leniently (unknown fields are ignored), takes the model from {@code model}
 * or {@code name}, answers an error before the answer as a non-2xx {@code {"error": "..."}} and an
 * error inside a stream as a last NDJSON line {@code {"error": "..."}}; {@code stream} defaults to
 * true.
 */
public final class OllamaApi implements HttpHandler {

  private static final Logger LOG = LoggerFactory.getLogger(OllamaApi.class);

  /** Default for {@link Builder#maxBodyBytes}: the largest request body, 16 MiB. */
  public static final long DEFAULT_MAX_BODY_BYTES = 16L * 1024 * 1024;

  /** The paths this API answers. */
  public static final Set<String> PATHS =
      Set.of(
          "/api/pull",
          "/api/tags",
          "/api/show",
          "/api/chat",
          "/api/generate",
          "/api/delete",
          "/api/ps",
          "/api/version");

  private static final String JSON = "application/json";
  private static final String NDJSON = "application/x-ndjson";

  /**
   * What {@code /api/ps} shows as the expiry of an instance that never expires (Ollama's far
   * future).
   */
  private static final Duration NEVER = Duration.ofDays(365L * 292);

  private final PullCoordinator coordinator;
  private final ShimmySupervisor supervisor;
  private final ModelNames names;
  private final ShimmyStream shimmy;
  private final Consumer<HttpExchange> adminCheck;
  private final String serviceVersion;
  private final Duration acquireWait;
  private final long maxBodyBytes;
  private final Clock clock;

  private OllamaApi(Builder b) {
    this.coordinator = Objects.requireNonNull(b.coordinator, "coordinator");
    this.supervisor = b.supervisor != null ? b.supervisor : coordinator.supervisor();
    this.names =
        b.names != null
            ? b.names
            : new ModelNames(coordinator.modelDir(), coordinator::localModels);
    this.shimmy = new ShimmyStream(Objects.requireNonNull(b.client, "client"));
    this.adminCheck = b.adminCheck;
    this.serviceVersion = b.serviceVersion;
    this.acquireWait = b.acquireWait != null ? b.acquireWait : coordinator.readyTimeout();
    this.maxBodyBytes = b.maxBodyBytes;
    this.clock = b.clock;
  }

  /** A new builder; {@code coordinator} and {@code client} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether {@code path} is one of Ollama's routes this API answers. */
  public static boolean owns(String path) {
    return PATHS.contains(path);
  }

  /** The model names (aliases) this API lists and resolves; give its resolver to other routes. */
  public ModelNames names() {
    return names;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    ExchangeWrapper ex = new ExchangeWrapper(exchange, maxBodyBytes);
    try {
      route(ex);
    } catch (Failure e) {
      answerError(ex, e.status, e.getMessage());
    } catch (PullException e) {
      if (e.reason().httpStatus() >= 500) {
        LOG.warn(
            "{} {} failed: {} ({})", ex.method(), ex.path(), e.getMessage(), e.reason().code());
      }
      answerError(ex, e.reason().httpStatus(), String.valueOf(e.getMessage()));
    } catch (SupervisorException e) {
      answerError(ex, e.reason().httpStatus(), String.valueOf(e.getMessage()));
    } catch (ExchangeWrapper.BodyTooLargeException e) {
      answerError(ex, 413, e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("{} {} failed unexpectedly", ex.method(), ex.path(), e);
      answerError(ex, 500, "internal error: " + e.getClass().getSimpleName());
    }
  }

  private void route(ExchangeWrapper ex) throws IOException {
    String method = ex.method();
    switch (ex.path()) {
      case "/api/version" -> {
        if (allow(ex, "GET", "HEAD")) {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("version", serviceVersion);
          sendJson(ex, 200, body);
        }
      }
      case "/api/tags" -> {
        if (allow(ex, "GET", "HEAD")) {
          tags(ex);
        }
      }
      case "/api/ps" -> {
        if (allow(ex, "GET")) {
          ps(ex);
        }
      }
      case "/api/show" -> {
        if (allow(ex, "POST")) {
          show(ex, body(ex));
        }
      }
      case "/api/pull" -> {
        if (allow(ex, "POST")) {
          adminCheck.accept(ex);
          pull(ex, body(ex));
        }
      }
      case "/api/delete" -> {
        if (allow(ex, "DELETE")) {
          adminCheck.accept(ex);
          delete(ex, body(ex));
        }
      }
      case "/api/chat" -> {
        if (allow(ex, "POST")) {
          generate(ex, body(ex), ShimmyStream.Dialect.CHAT);
        }
      }
      case "/api/generate" -> {
        if (allow(ex, "POST")) {
          generate(ex, body(ex), ShimmyStream.Dialect.GENERATE);
        }
      }
      default -> throw new Failure(404, "no such endpoint: " + method + " " + ex.path());
    }
  }

  // ---- GET /api/tags, POST /api/show, GET /api/ps ------------------------------------------

  private void tags(HttpExchange ex) throws IOException {
    List<Map<String, Object>> models = new ArrayList<>();
    for (LocalModel model : coordinator.localModels()) {
      for (String name : names.namesOf(model)) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("name", name);
        entry.put("model", name);
        entry.put("modified_at", modifiedAt(model));
        entry.put("size", model.sizeBytes());
        entry.put("digest", digest(model));
        entry.put("details", details(facts(model)));
        models.add(entry);
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("models", models);
    sendJson(ex, 200, body);
  }

  private void show(HttpExchange ex, JsonNode request) throws IOException {
    String name = modelName(request);
    LocalModel model = names.find(name);
    if (model == null) {
      throw notFound(name);
    }
    ModelFacts facts = facts(model);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put(
        "modelfile", "# Modelfile generated by shimmy-pull\nFROM " + model.files().get(0) + "\n");
    String template = facts.metadata().string("tokenizer.chat_template");
    if (template != null) {
      body.put("template", template);
    }
    body.put("details", details(facts));
    body.put("model_info", modelInfo(facts));
    body.put("capabilities", List.of("completion"));
    body.put("modified_at", modifiedAt(model));
    sendJson(ex, 200, body);
  }

  private void ps(HttpExchange ex) throws IOException {
    Map<String, LocalModel> byId = new LinkedHashMap<>();
    for (LocalModel m : coordinator.localModels()) {
      byId.put(m.id(), m);
    }
    List<Map<String, Object>> models = new ArrayList<>();
    Instant now = clock.instant();
    for (InstanceState instance : supervisor.instances()) {
      LocalModel model = byId.get(instance.model());
      String name = model == null ? instance.model() + ":latest" : names.namesOf(model).get(0);
      ModelFacts facts = model == null ? null : facts(model);
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("name", name);
      entry.put("model", name);
      entry.put("size", model == null ? instance.sizeBytes() : model.sizeBytes());
      entry.put("digest", model == null ? "" : digest(model));
      entry.put("details", details(facts));
      Instant expires = instance.expiresAt();
      entry.put("expires_at", (expires != null ? expires : now.plus(NEVER)).toString());
      entry.put("size_vram", 0);
      Long context = facts == null ? null : facts.contextLength();
      if (context != null) {
        entry.put("context_length", context);
      }
      models.add(entry);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("models", models);
    sendJson(ex, 200, body);
  }

  // ---- POST /api/pull, DELETE /api/delete --------------------------------------------------

  private void pull(HttpExchange ex, JsonNode request) throws IOException {
    String name = modelName(request);
    boolean stream = flag(request, "stream", true);
    ModelRef ref;
    try {
      ref = ModelRef.parse(withoutLatest(name));
    } catch (PullException invalid) {
      if (names.find(name) != null) {
        LOG.info("/api/pull of '{}': not a Hugging Face name, but the model is present", name);
        answerPullSuccess(ex, stream);
        return;
      }
      throw new Failure(
          400,
          "cannot pull '"
              + name
              + "': "
              + invalid.getMessage()
              + " (pull Hugging Face GGUFs as hf.co/owner/repo[:TAG])");
    }
    PullJob job = coordinator.submit(ref, false);
    job.subscribe(
        event -> {
          if (event instanceof PullEvent.Complete complete) {
            try {
              String listed = names.record(name, complete.result().modelId());
              LOG.info(
                  "pulled '{}' is listed as '{}' (model {})",
                  name,
                  listed,
                  complete.result().modelId());
            } catch (RuntimeException e) {
              LOG.warn(
                  "cannot record the name '{}' of model {}: {}",
                  name,
                  complete.result().modelId(),
                  e.toString());
            }
          }
        });
    if (stream) {
      streamPull(ex, job);
      return;
    }
    try {
      job.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + job, e);
    }
    answerPullSuccess(ex, false);
  }

  private void answerPullSuccess(HttpExchange ex, boolean stream) throws IOException {
    Map<String, Object> success = new LinkedHashMap<>();
    success.put("status", "success");
    if (stream) {
      startNdjson(ex);
      writeLine(ex.responseBody(), success);
    } else {
      sendJson(ex, 200, success);
    }
  }

  private void streamPull(HttpExchange ex, PullJob job) throws IOException {
    BlockingQueue<PullEvent> queue = new LinkedBlockingQueue<>();
    PullLines lines = new PullLines(job);
    try (PullJob.Subscription subscription = job.subscribe(queue::add)) {
      startNdjson(ex);
      OutputStream out = ex.responseBody();
      while (true) {
        PullEvent event = queue.take();
        for (Map<String, Object> line : lines.lines(event)) {
          writeLine(out, line);
        }
        if (PullLines.terminal(event)) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while streaming " + job, e);
    } catch (IOException e) {
      LOG.info("Ollama client of {} went away ({}); the pull goes on", job, e.toString());
      throw e;
    }
  }

  private void delete(HttpExchange ex, JsonNode request) throws IOException {
    String name = modelName(request);
    LocalModel model = names.find(name);
    PullJob running = coordinator.current().orElse(null);
    if (running != null
        && ((model != null && model.id().equals(running.modelId())) || pulledBy(running, name))) {
      throw new Failure(
          409,
          "model '"
              + name
              + "' is being pulled ("
              + running
              + "); delete it when the pull has ended");
    }
    if (model == null) {
      throw notFound(name);
    }
    String forgotten = names.forget(name);
    if (forgotten != null && names.isNamed(model.id())) {
      LOG.info("deleted the name '{}'; model {} keeps its other names and files", name, model.id());
    } else {
      coordinator.deleteModel(model.id());
      names.forgetModel(model.id());
      LOG.info("deleted '{}': model {} and its files", name, model.id());
    }
    ex.status(200);
    ex.addResponseHeader("Content-Length", "0");
    ex.responseBody().flush();
  }

  // ---- POST /api/chat, POST /api/generate --------------------------------------------------

  private void generate(ExchangeWrapper ex, JsonNode request, ShimmyStream.Dialect dialect)
      throws IOException {
    long start = System.nanoTime();
    String name = modelName(request);
    boolean stream = flag(request, "stream", true);
    LocalModel model = names.find(name);
    if (model == null) {
      throw notFound(name);
    }
    JsonNode options = request.path("options");
    ObjectNode upstream = Json.mapper().createObjectNode();
    upstream.put("model", model.id());
    int promptChars;
    if (dialect == ShimmyStream.Dialect.CHAT) {
      ArrayNode messages = upstream.putArray("messages");
      promptChars = 0;
      for (JsonNode m : request.path("messages")) {
        if (!m.isObject()) {
          continue;
        }
        String content = m.path("content").isString() ? m.path("content").stringValue() : "";
        ObjectNode message = messages.addObject();
        message.put("role", m.path("role").isString() ? m.path("role").stringValue() : "user");
        message.put("content", content);
        promptChars += content.length();
      }
      if (messages.isEmpty()) {
        loadOrUnload(ex, request, name, model, stream, dialect, start);
        return;
      }
    } else {
      String prompt = request.path("prompt").isString() ? request.path("prompt").stringValue() : "";
      if (prompt.isEmpty()) {
        loadOrUnload(ex, request, name, model, stream, dialect, start);
        return;
      }
      upstream.put("prompt", prompt);
      promptChars = prompt.length();
      JsonNode system = request.path("system");
      if (system.isString() && !system.stringValue().isEmpty()) {
        upstream.put("system", system.stringValue());
        promptChars += system.stringValue().length();
      }
      copyNumber(options, "top_k", upstream, "top_k");
    }
    upstream.put("stream", true);
    copyNumber(options, "temperature", upstream, "temperature");
    copyNumber(options, "top_p", upstream, "top_p");
    copyNumber(options, "seed", upstream, "seed");
    long numPredict =
        options.path("num_predict").isNumber() ? options.path("num_predict").asLong() : 0;
    if (numPredict > 0) {
      upstream.put("max_tokens", numPredict);
    }
    JsonNode stop = options.path("stop");
    if (stop.isString() || (stop.isArray() && !stop.isEmpty())) {
      upstream.set("stop", stop);
    }
    byte[] body = Json.writeBytes(upstream);

    Lease lease = supervisor.acquire(model.id(), acquireWait);
    try {
      answer(ex, lease, name, model, dialect, stream, body, numPredict, promptChars, start);
    } finally {
      lease.close();
      if (isZero(request.path("keep_alive"))) {
        unloadQuietly(model.id());
      }
    }
  }

  private void answer(
      ExchangeWrapper ex,
      Lease lease,
      String name,
      LocalModel model,
      ShimmyStream.Dialect dialect,
      boolean stream,
      byte[] body,
      long numPredict,
      int promptChars,
      long start)
      throws IOException {
    long loaded = System.nanoTime();
    Generation generation = new Generation(ex, name, dialect, stream);
    ShimmyStream.Outcome outcome;
    try {
      outcome = shimmy.run(lease.baseUrl(), dialect, body, generation::token);
    } catch (ShimmyStream.Refused refused) {
      if (ex.committed()) {
        throw new IOException(refused.getMessage(), refused);
      }
      int status =
          refused.status() == 404
              ? 404
              : refused.status() >= 500 || refused.status() < 400 ? 502 : refused.status();
      throw new Failure(status, refused.getMessage());
    } catch (IOException e) {
      if (ex.committed()) {
        throw e;
      }
      throw new Failure(502, "Shimmy (" + model.id() + ") did not answer: " + e.getMessage());
    }
    long end = System.nanoTime();
    if (outcome.error() != null) {
      LOG.warn(
          "{} on {} ({}) broke off after {} tokens: {}",
          dialect.path(),
          model.id(),
          name,
          outcome.tokens(),
          outcome.error());
      if (!stream && !ex.committed()) {
        throw new Failure(502, outcome.error());
      }
      generation.error(outcome.error());
      return;
    }
    Map<String, Object> last = generation.message(stream ? "" : generation.text.toString());
    last.put("done", true);
    String reason =
        "length".equals(outcome.finishReason())
                || (numPredict > 0 && outcome.tokens() >= numPredict)
            ? "length"
            : "stop";
    last.put("done_reason", reason);
    last.put("total_duration", end - start);
    last.put("load_duration", loaded - start);
    last.put("prompt_eval_count", Math.max(1, (promptChars + 3) / 4));
    last.put("prompt_eval_duration", Math.max(0, outcome.firstTokenNanos() - loaded));
    last.put("eval_count", outcome.tokens());
    last.put("eval_duration", Math.max(0, end - outcome.firstTokenNanos()));
    generation.finish(last);
    LOG.debug(
        "{} {} ({}): {} tokens in {} ms, {} ms to the instance",
        dialect.path(),
        model.id(),
        name,
        outcome.tokens(),
        (end - start) / 1_000_000,
        (loaded - start) / 1_000_000);
  }

  /** {@code keep_alive: 0}: stop the model's instance once the answer is sent. */
  private void unloadQuietly(String id) {
    try {
      supervisor.unload(id);
    } catch (RuntimeException e) {
      LOG.warn("cannot unload {} after a keep_alive 0 request: {}", id, e.toString());
    }
  }

  /**
   * An empty {@code messages}/{@code prompt} loads the model (Ollama's preload), or with {@code
   * keep_alive: 0} unloads it; answered with {@code done_reason} {@code load} or {@code unload}.
   */
  private void loadOrUnload(
      HttpExchange ex,
      JsonNode request,
      String name,
      LocalModel model,
      boolean stream,
      ShimmyStream.Dialect dialect,
      long start)
      throws IOException {
    boolean unload = isZero(request.path("keep_alive"));
    if (unload) {
      supervisor.unload(model.id());
    } else {
      supervisor.load(model.id(), acquireWait);
    }
    Generation answer = new Generation(ex, name, dialect, stream);
    Map<String, Object> last = answer.message("");
    last.put("done", true);
    last.put("done_reason", unload ? "unload" : "load");
    if (!unload) {
      last.put("total_duration", System.nanoTime() - start);
      last.put("load_duration", System.nanoTime() - start);
    }
    answer.finish(last);
  }

  /** The answer of one generation: NDJSON lines as tokens come, or one JSON object at the end. */
  private final class Generation {
    private final HttpExchange ex;
    private final String name;
    private final ShimmyStream.Dialect dialect;
    private final boolean stream;
    private final StringBuilder text = new StringBuilder();
    private boolean started;

    Generation(HttpExchange ex, String name, ShimmyStream.Dialect dialect, boolean stream) {
      this.ex = ex;
      this.name = name;
      this.dialect = dialect;
      this.stream = stream;
    }

    void token(String token) throws IOException {
      if (!stream) {
        text.append(token);
        return;
      }
      Map<String, Object> line = message(token);
      line.put("done", false);
      start();
      writeLine(ex.responseBody(), line);
    }

    Map<String, Object> message(String content) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("model", name);
      m.put("created_at", clock.instant().toString());
      if (dialect == ShimmyStream.Dialect.CHAT) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", "assistant");
        message.put("content", content);
        m.put("message", message);
      } else {
        m.put("response", content);
      }
      return m;
    }

    void finish(Map<String, Object> last) throws IOException {
      if (stream) {
        start();
        writeLine(ex.responseBody(), last);
      } else {
        sendJson(ex, 200, last);
      }
    }

    /**
     * Ends a stream that broke off: the last line is {@code {"error": ...}}, flushed, and then the
     * connection is aborted (the adapter aborts on an IOException mid-stream) rather than ended
     * cleanly, so a client that waits for {@code done:true} (LangChain4j's) sees a failure instead
     * of waiting for ever, while one that reads the error line (Spring AI's, ollama-js) has it.
     */
    void error(String message) throws IOException {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("error", message);
      start();
      writeLine(ex.responseBody(), line);
      throw new IOException("the generation broke off: " + message);
    }

    private void start() {
      if (!started) {
        started = true;
        startNdjson(ex);
      }
    }
  }

  // ---- request parsing ---------------------------------------------------------------------

  /** The request body as a JSON object; an empty body is {@code {}}. */
  private static JsonNode body(HttpExchange ex) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (InputStream in = ex.requestBody()) {
      in.transferTo(bytes);
    }
    if (bytes.size() == 0) {
      return Json.mapper().createObjectNode();
    }
    JsonNode root;
    try {
      root = Json.readTree(bytes.toByteArray());
    } catch (JacksonException e) {
      throw new Failure(400, "request body is not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new Failure(400, "request body must be a JSON object");
    }
    return root;
  }

  /** {@code model}, else {@code name}. */
  private static String modelName(JsonNode request) {
    for (String field : new String[] {"model", "name"}) {
      JsonNode node = request.get(field);
      if (node != null && node.isString() && !node.stringValue().isBlank()) {
        return node.stringValue().strip();
      }
    }
    throw new Failure(400, "model is required");
  }

  private static boolean flag(JsonNode request, String field, boolean absent) {
    JsonNode node = request.get(field);
    return node != null && node.isBoolean() ? node.booleanValue() : absent;
  }

  private static boolean isZero(JsonNode keepAlive) {
    if (keepAlive.isNumber()) {
      return keepAlive.asDouble() == 0;
    }
    if (keepAlive.isString()) {
      String s = keepAlive.stringValue().strip().toLowerCase(Locale.ROOT);
      return s.matches("0+(\\.0*)?(ns|us|ms|s|m|h)?");
    }
    return false;
  }

  private static void copyNumber(JsonNode from, String field, ObjectNode to, String as) {
    JsonNode node = from.path(field);
    if (node.isNumber()) {
      to.set(as, node);
    }
  }

  /** Whether {@code job} pulls what {@code name} names (same repo and tag, any case). */
  private static boolean pulledBy(PullJob job, String name) {
    ModelRef ref;
    try {
      ref = ModelRef.parse(withoutLatest(name));
    } catch (PullException notAReference) {
      return false;
    }
    ModelRef running = job.ref();
    return ref.repo().equalsIgnoreCase(running.repo())
        && Objects.equals(lower(ref.tag()), lower(running.tag()))
        && Objects.equals(ref.file(), running.file());
  }

  private static @Nullable String lower(@Nullable String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }

  private static String withoutLatest(String name) {
    return name.regionMatches(
            true, name.length() - ":latest".length(), ":latest", 0, ":latest".length())
        ? name.substring(0, name.length() - ":latest".length())
        : name;
  }

  // ---- shapes ------------------------------------------------------------------------------

  private ModelFacts facts(LocalModel model) {
    return ModelFacts.of(coordinator.modelDir().resolve(model.files().get(0)), model.sizeBytes());
  }

  private static Map<String, Object> details(@Nullable ModelFacts facts) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("parent_model", "");
    d.put("format", "gguf");
    d.put("family", facts == null ? "" : facts.family());
    d.put("families", facts == null ? List.of() : facts.families());
    d.put("parameter_size", facts == null ? "" : facts.parameterSize());
    d.put("quantization_level", facts == null ? "" : facts.quantizationLevel());
    return d;
  }

  /**
   * The header's keys for {@code model_info}: scalars and short arrays; the chat template is {@code
   * template}.
   */
  private static Map<String, Object> modelInfo(ModelFacts facts) {
    Map<String, Object> info = new LinkedHashMap<>();
    if (!facts.family().isEmpty()) {
      info.put("general.architecture", facts.family());
    }
    facts
        .metadata()
        .values()
        .forEach(
            (key, value) -> {
              if (!key.equals("tokenizer.chat_template")
                  && !(value instanceof GgufReader.ArrayInfo)) {
                info.putIfAbsent(key, value);
              }
            });
    return info;
  }

  private String modifiedAt(LocalModel model) {
    try {
      return Files.getLastModifiedTime(coordinator.modelDir().resolve(model.files().get(0)))
          .toInstant()
          .toString();
    } catch (IOException e) {
      return clock.instant().toString();
    }
  }

  /**
   * The Hub's sha256 of the first file when we pulled it, else a stable digest of id, size and
   * time.
   */
  private String digest(LocalModel model) {
    if (model.sha256() != null) {
      return model.sha256();
    }
    String identity = model.id() + "|" + model.sizeBytes() + "|" + modifiedAt(model);
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(identity.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static Failure notFound(String name) {
    return new Failure(404, "model '" + name + "' not found, try pulling it first");
  }

  // ---- answers -----------------------------------------------------------------------------

  private static boolean allow(HttpExchange ex, String... methods) {
    for (String m : methods) {
      if (ex.method().equals(m)) {
        return true;
      }
    }
    ex.addResponseHeader("Allow", String.join(", ", methods));
    throw new Failure(405, "method " + ex.method() + " is not allowed on " + ex.path());
  }

  private static void startNdjson(HttpExchange ex) {
    ex.status(200);
    ex.addResponseHeader("Content-Type", NDJSON);
    ex.addResponseHeader("Cache-Control", "no-cache");
    ex.addResponseHeader("X-Accel-Buffering", "no");
  }

  private static void writeLine(OutputStream out, Map<String, Object> line) throws IOException {
    out.write(Json.writeBytes(line));
    out.write('\n');
    out.flush();
  }

  private static void answerError(ExchangeWrapper ex, int status, @Nullable String message)
      throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", message == null ? "error" : message);
    if (ex.committed()) {
      // The status is sent: the error is the stream's last line.
      writeLine(ex.responseBody(), body);
      return;
    }
    if (status == 401) {
      ex.addResponseHeader("WWW-Authenticate", "Bearer");
    }
    if (status == 503) {
      ex.addResponseHeader("Retry-After", ErrorResponses.RETRY_AFTER_SECONDS);
    }
    sendJson(ex, status, body);
  }

  private static void sendJson(HttpExchange ex, int status, Map<String, Object> body)
      throws IOException {
    byte[] bytes = Json.writeBytes(body);
    ex.status(status);
    ex.addResponseHeader("Content-Type", JSON);
    OutputStream out = ex.responseBody();
    if (!ex.method().equals("HEAD")) {
      out.write(bytes);
    }
    out.flush();
  }

  /** An error answered as {@code {"error": message}} with {@code status}. */
  private static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    Failure(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /** Builds an {@link OllamaApi}. */
  public static final class Builder {
    private @Nullable PullCoordinator coordinator;
    private @Nullable ShimmySupervisor supervisor;
    private @Nullable OkHttpClient client;
    private @Nullable ModelNames names;
    private Consumer<HttpExchange> adminCheck = ex -> {};
    private String serviceVersion = "unknown";
    private @Nullable Duration acquireWait;
    private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Pulls, lists and deletes models. Required. */
    public Builder coordinator(PullCoordinator coordinator) {
      this.coordinator = coordinator;
      return this;
    }

    /** The instances {@code /api/ps} lists and chat/generate lease; default the coordinator's. */
    public Builder supervisor(ShimmySupervisor supervisor) {
      this.supervisor = supervisor;
      return this;
    }

    /** The one shared OkHttpClient to talk to Shimmy instances with. Required. */
    public Builder client(OkHttpClient client) {
      this.client = client;
      return this;
    }

    /** The model names; default names kept in the coordinator's model directory. */
    public Builder names(ModelNames names) {
      this.names = names;
      return this;
    }

    /**
     * Guards {@code /api/pull} and {@code /api/delete}: throws (a {@link PullException}
     * UNAUTHORIZED) when the request may not mutate; default lets everything through.
     */
    public Builder adminCheck(Consumer<HttpExchange> adminCheck) {
      this.adminCheck = Objects.requireNonNull(adminCheck, "adminCheck");
      return this;
    }

    /** What {@code /api/version} reports; default {@code unknown}. */
    public Builder serviceVersion(String serviceVersion) {
      this.serviceVersion = serviceVersion;
      return this;
    }

    /**
     * How long chat/generate wait for the model's instance to start; default the coordinator's
     * ready timeout (120 s unless configured).
     */
    public Builder acquireWait(Duration acquireWait) {
      this.acquireWait = acquireWait;
      return this;
    }

    /** The largest request body; default 16 MiB. */
    public Builder maxBodyBytes(long maxBodyBytes) {
      if (maxBodyBytes <= 0) {
        throw new IllegalArgumentException("maxBodyBytes must be positive, not " + maxBodyBytes);
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /** The clock of {@code created_at} and {@code expires_at}; default UTC system clock. */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public OllamaApi build() {
      return new OllamaApi(this);
    }
  }
}
