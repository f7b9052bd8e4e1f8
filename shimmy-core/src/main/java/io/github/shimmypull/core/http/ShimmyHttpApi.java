package io.github.shimmypull.core.http;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.coordinator.PullJob;
import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.internal.ExchangeWrapper;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.internal.WireFormat;
import io.github.shimmypull.core.ollama.OllamaApi;
import io.github.shimmypull.core.proxy.ShimmyProxy;
import io.github.shimmypull.core.pull.LocalModel;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.routing.RoutingException;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.ServiceHealth;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Every endpoint of the shimmy-pull front server (server-interface.md), framework-neutral: the pull
 * API, models, instances (list, load, unload), health, service info, metrics, the listings {@code
 * /v1/models} and {@code /api/tags} (from discovery, also while no instance runs) and the {@code
 * /v1/generate} alias; everything else goes to the fallback handler (the reverse proxy, which
 * routes by model). Both adapters mount this one handler, so a
 * status code, a validation or an event field is decided here only. The wire formats are in
 * docs/api.md.
 *
 * <pre>{@code
 * PullCoordinator coordinator = PullCoordinator.builder()
 *     .modelDir(dir).puller(puller).discovery(discovery).supervisor(supervisor)
 *     .localModels(new ModelDirectory(dir)).build();
 * coordinator.preload(refs);   // optional, before Shimmy starts
 * coordinator.start();         // starts the supervisor and the directory watcher
 * HttpHandler api = ShimmyHttpApi.builder()
 *     .coordinator(coordinator).proxy(shimmyProxy).adminToken(token).serviceVersion(version)
 *     .metrics(prometheusRegistry::scrape).build();
 * // adapter: for every request, api.handle(exchange)
 * }</pre>
 */
public final class ShimmyHttpApi implements HttpHandler {

  private static final Logger LOG = LoggerFactory.getLogger(ShimmyHttpApi.class);

  /** Default for {@link Builder#maxRequestBytes}: the largest pull request body, 64 KiB. */
  public static final long DEFAULT_MAX_REQUEST_BYTES = 64 * 1024;

  /** Request bodies up to this size are read to their end after an early answer: 1 MiB. */
  public static final long DRAIN_LIMIT_BYTES = 1024 * 1024;

  /** Default for {@link Builder#loadTimeout}: how long a load waits for the instance, 120 s. */
  public static final Duration DEFAULT_LOAD_TIMEOUT = Duration.ofSeconds(120);
  /** Default for {@link Builder#maxBodyBytes}: the largest request body on any route, 32 MiB. */
  public static final long DEFAULT_MAX_BODY_BYTES = 32L * 1024 * 1024;
  /** Default for {@link Builder#cancelWait}: how long a cancel waits for the job to end. */
  public static final Duration DEFAULT_CANCEL_WAIT = Duration.ofSeconds(30);

  private static final Set<String> PULL_FIELDS = Set.of("model", "filename", "revision", "stream", "force");
  private static final String ALLOWED_FIELDS = "model, filename, revision, stream, force";
  private static final String JSON = "application/json";
  private static final String NDJSON = "application/x-ndjson";
  private static final String RETRY_AFTER_SECONDS = "5";
  private static final String SHIMMY_MODELS = "/api/models/";
  private static final String INSTANCES = "/v1/api/instances";
  private static final List<String> ENDPOINTS =
      List.of(
          "GET /",
          "GET /v1/health",
          "POST /v1/api/pull",
          "GET /v1/api/pull",
          "DELETE /v1/api/pull",
          "GET /v1/api/models",
          "DELETE /v1/api/models/{id}",
          "GET /v1/api/instances",
          "POST /v1/api/instances/{id}",
          "DELETE /v1/api/instances/{id}",
          "GET /v1/models",
          "GET /api/tags",
          "GET /v1/api/metrics",
          "POST /v1/generate",
          "POST /api/pull, GET /api/tags, POST /api/show, POST /api/chat, POST /api/generate,"
              + " DELETE /api/delete, GET /api/ps, GET /api/version (Ollama's API)",
          "* anything else (proxied to the Shimmy instance of the model the body names)");

  private final PullCoordinator coordinator;
  private final ShimmySupervisor supervisor;
  private final HttpHandler proxy;
  private final Path modelDir;
  private final byte @Nullable [] adminTokenDigest;
  private final long maxRequestBytes;
  private final Duration loadTimeout;
  private final ModelRouter router;
  private final long maxBodyBytes;
  private final Duration cancelWait;
  private final String serviceVersion;
  private final @Nullable Supplier<String> metrics;
  private final OllamaApi ollama;

  private ShimmyHttpApi(Builder b) {
    this.coordinator = Objects.requireNonNull(b.coordinator, "coordinator");
    this.supervisor = b.supervisor != null ? b.supervisor : coordinator.supervisor();
    this.proxy = b.proxy != null ? b.proxy : ShimmyHttpApi::noBackend;
    this.modelDir = b.modelDir != null ? b.modelDir : coordinator.modelDir();
    String token = b.adminToken;
    this.adminTokenDigest = token == null || token.isEmpty() ? null : sha256(token);
    this.maxRequestBytes = b.maxRequestBytes;
    this.loadTimeout = b.loadTimeout;
    this.router = b.router;
    this.maxBodyBytes = b.maxBodyBytes;
    this.cancelWait = b.cancelWait;
    this.serviceVersion = b.serviceVersion;
    this.metrics = b.metrics;
    this.ollama =
        OllamaApi.builder()
            .coordinator(coordinator)
            .supervisor(supervisor)
            .client(b.proxy instanceof ShimmyProxy p ? p.client() : ShimmyProxy.defaultClient())
            .adminCheck(this::requireAdmin)
            .serviceVersion(serviceVersion)
            .build();
  }

  /**
   * True for the paths this API answers itself whatever the backend state ({@code /},
   * {@code /v1/health}, {@code /v1/generate}, the listings {@code /v1/models} and {@code
   * /api/tags}, Shimmy's {@code /api/models/{name}/load|unload|status}, {@code /v1/api} and
   * everything under it, and Ollama's routes, {@link OllamaApi#PATHS}); every other path is
   * forwarded to a Shimmy instance. A front that routes before this handler (e.g. {@link
   * io.github.shimmypull.core.edge.ShimmyEdge}) uses it to know what is ours.
   */
  public static boolean answersItself(String path) {
    return switch (path) {
      case "/", "/v1/health", "/v1/generate", "/v1/api", "/v1/models" -> true;
      default -> path.startsWith("/v1/api/") || OllamaApi.owns(path) || modelAction(path) != null;
    };
  }

  /** For Shimmy's {@code /api/models/{name}/load|unload|status}: {name, action}; else null. */
  private static String @Nullable [] modelAction(String path) {
    if (!path.startsWith(SHIMMY_MODELS)) {
      return null;
    }
    int slash = path.lastIndexOf('/');
    if (slash <= SHIMMY_MODELS.length()) {
      return null;
    }
    String action = path.substring(slash + 1);
    String name = path.substring(SHIMMY_MODELS.length(), slash);
    if (name.indexOf('/') >= 0 || !(action.equals("load") || action.equals("unload") || action.equals("status"))) {
      return null;
    }
    return new String[] {name, action};
  }

  /**
   * The largest request body the API accepts for {@code method} on {@code path} (canonical) with
   * the default route limits: 64 KiB for {@code POST /v1/api/pull}, else {@code maxBodyBytes}. A front (the edge) answers 413 itself above it.
   */
  public static long bodyLimit(String method, String path, long maxBodyBytes) {
    return bodyLimit(method, path, DEFAULT_MAX_REQUEST_BYTES, maxBodyBytes);
  }

  /**
   * As {@link #bodyLimit(String, String, long)} for an API built with {@link
   * Builder#maxRequestBytes} {@code maxRequestBytes} (the pull body cap).
   */
  public static long bodyLimit(String method, String path, long maxRequestBytes, long maxBodyBytes) {
    long route = method.equals("POST") && path.equals("/v1/api/pull") ? maxRequestBytes : maxBodyBytes;
    return Math.min(route, maxBodyBytes);
  }

  /** A new builder; {@code coordinator} is required. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    RequestRefusal refusal = RequestRefusal.of(exchange.method(), exchange.path());
    if (refusal != null) {
      refusal.send(exchange);
      return;
    }
    ExchangeWrapper ex = new ExchangeWrapper(exchange, maxBodyBytes);
    try {
      ex = ExchangeWrapper.headAsGet(ExchangeWrapper.canonical(ex, maxBodyBytes), maxBodyBytes);
      requireDeclaredLengthWithin(ex, maxBodyBytes);
      route(ex);
    } catch (ExchangeWrapper.BodyTooLargeException e) {
      // A body without a declared length (chunked) grew past the limit while it was read.
      answerError(ex, tooLarge(maxBodyBytes));
    } catch (PullException e) {
      if (e.reason().httpStatus() >= 500) {
        LOG.warn("{} {} failed: {} ({})", ex.method(), ex.path(), e.getMessage(), e.reason().code());
      }
      answerError(ex, e);
    } catch (SupervisorException e) {
      answerBackend(ex, e);
    } catch (RuntimeException e) {
      LOG.error("{} {} failed unexpectedly", ex.method(), ex.path(), e);
      if (ex.committed()) {
        throw new IOException("response aborted after an internal error: " + e, e);
      }
      sendJson(ex, 500, WireFormat.error("internal_error", "internal error: " + e.getClass().getSimpleName()));
    } catch (IOException e) {
      if (ex.committed() || !isTimeout(e)) {
        throw e;
      }
      // The adapter's read of the request body timed out (Jetty's idle timeout, 30 s by default).
      LOG.info("{} {}: the request body stopped arriving ({})", ex.method(), ex.path(), e.toString());
      ErrorResponses.send(ex, 408, "request_timeout",
          "the request body did not arrive in time (a body shorter than its Content-Length?)");
      return;
    }
    drainSmallRest(exchange);
  }

  private static boolean isTimeout(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.SocketTimeoutException
          || t instanceof java.util.concurrent.TimeoutException
          || t.getClass().getSimpleName().contains("Timeout")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /**
   * Reads what an early answer (413, 400) left unread of a request body of up to {@link
   * #DRAIN_LIMIT_BYTES}, like a server's lingering close: a server that closes a connection with
   * unread bytes resets it, and the reset can destroy the answer before the client (or a proxy in
   * front) has read it. Larger leftovers are not read; the server closes the connection.
   */
  private static void drainSmallRest(HttpExchange exchange) {
    String length = exchange.requestHeader("Content-Length");
    try {
      boolean noBody = length == null && exchange.requestHeader("Transfer-Encoding") == null;
      long declared = length == null ? -1 : Long.parseLong(length.trim());
      if (noBody || declared == 0 || declared > DRAIN_LIMIT_BYTES) {
        return;
      }
      InputStream in = exchange.requestBody();
      byte[] buffer = new byte[8192];
      long left = DRAIN_LIMIT_BYTES;
      int read;
      while (left > 0 && (read = in.read(buffer, 0, (int) Math.min(buffer.length, left))) != -1) {
        left -= read;
      }
    } catch (IOException | NumberFormatException e) {
      LOG.debug("not draining the rest of a request body: {}", e.toString());
    }
  }

  private void route(ExchangeWrapper ex) throws IOException {
    String method = ex.method();
    String path = ex.path();
    if (OllamaApi.owns(path)) {
      ollama.handle(ex);
      return;
    }
    switch (path) {
      case "/" -> {
        if (allow(ex, "GET")) {
          info(ex);
        }
      }
      case "/v1/health" -> {
        if (allow(ex, "GET")) {
          health(ex);
        }
      }
      case "/v1/api/pull" -> {
        switch (method) {
          case "POST" -> pull(ex);
          case "GET" -> pullStatus(ex);
          case "DELETE" -> cancel(ex);
          default -> methodNotAllowed(ex, "GET, POST, DELETE");
        }
      }
      case "/v1/api/models" -> {
        if (allow(ex, "GET")) {
          models(ex);
        }
      }
      case "/v1/api/metrics" -> {
        if (allow(ex, "GET")) {
          metrics(ex);
        }
      }
      case "/v1/generate" -> {
        if (allow(ex, "POST")) {
          forward(ex, ex); // the proxy sends it to /api/generate, with "stream":false when absent
        }
      }
      case "/v1/models" -> {
        if (allow(ex, "GET")) {
          openAiModels(ex);
        }
      }
      case INSTANCES -> {
        if (allow(ex, "GET")) {
          instances(ex);
        }
      }
      default -> {
        String[] action = modelAction(path);
        if (path.startsWith("/v1/api/models/")) {
          if (allow(ex, "DELETE")) {
            deleteModel(ex, path.substring("/v1/api/models/".length()));
          }
        } else if (path.startsWith(INSTANCES + "/")) {
          String id = path.substring(INSTANCES.length() + 1);
          switch (method) {
            case "POST" -> load(ex, id);
            case "DELETE" -> unload(ex, id);
            default -> methodNotAllowed(ex, "POST, DELETE");
          }
        } else if (path.equals("/v1/api") || path.startsWith("/v1/api/")) {
          sendJson(ex, 404, WireFormat.error("not_found", "no such endpoint: " + method + " " + path));
        } else if (action != null) {
          shimmyModelAction(ex, action[0], action[1]);
        } else {
          forward(ex, ex);
        }
      }
    }
  }

  // ---- service info and health ------------------------------------------------------------

  private void info(HttpExchange ex) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", "shimmy-pull");
    body.put("version", serviceVersion);
    body.put("backend", supervisor.state().status().wireName());
    body.put("model_dir", modelDir.toString());
    body.put("endpoints", ENDPOINTS);
    sendJson(ex, 200, body);
  }

  private void health(HttpExchange ex) throws IOException {
    BackendState state = supervisor.state();
    ServiceHealth health = ServiceHealth.of(state.status(), coordinator.isClosed());
    int httpStatus = health.httpStatus();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", health.wireName());
    body.put("backend", WireFormat.backend(state));
    body.put("models", modelIds());
    body.put("model_dir", modelDir.toString());
    body.put("pull", coordinator.current().map(WireFormat::job).orElse(null));
    body.put("instances", supervisor.instances().stream().map(WireFormat::instance).toList());
    if (httpStatus == 503) {
      ex.addResponseHeader("Retry-After", RETRY_AFTER_SECONDS);
    }
    sendJson(ex, httpStatus, body);
  }

  // ---- POST /v1/api/pull ------------------------------------------------------------------

  private void pull(HttpExchange ex) throws IOException {
    requireAdmin(ex);
    requireJsonContentType(ex);
    byte[] body = readBody(ex, maxRequestBytes);
    PullBody request = parsePullBody(body);
    ModelRef ref = ModelRef.parse(request.model(), request.filename(), request.revision());
    PullJob job = coordinator.submit(ref, request.force());
    if (request.stream()) {
      stream(ex, job);
    } else {
      awaitAndAnswer(ex, job);
    }
  }

  private void stream(HttpExchange ex, PullJob job) throws IOException {
    BlockingQueue<PullEvent> queue = new LinkedBlockingQueue<>();
    try (PullJob.Subscription subscription = job.subscribe(queue::add)) {
      ex.status(200);
      ex.addResponseHeader("Content-Type", NDJSON);
      ex.addResponseHeader("Cache-Control", "no-cache");
      ex.addResponseHeader("X-Accel-Buffering", "no");
      OutputStream out = ex.responseBody();
      while (true) {
        PullEvent event = queue.take();
        Map<String, Object> line = WireFormat.event(event);
        if (line != null) {
          out.write(Json.writeBytes(line));
          out.write('\n');
          out.flush();
        }
        if (event instanceof PullEvent.Complete || event instanceof PullEvent.Failed) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while streaming " + job, e);
    } catch (IOException e) {
      LOG.info("client of {} went away ({}); the pull goes on", job, e.toString());
      throw e;
    }
  }

  private void awaitAndAnswer(HttpExchange ex, PullJob job) throws IOException {
    PullResult result;
    try {
      result = job.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + job, e);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", "complete");
    body.putAll(WireFormat.result(result));
    sendJson(ex, 200, body);
  }

  private record PullBody(
      String model, @Nullable String filename, @Nullable String revision, boolean stream, boolean force) {}

  private static PullBody parsePullBody(byte[] body) {
    JsonNode root;
    try {
      root = Json.readTree(body);
    } catch (JacksonException e) {
      throw invalid(notJson(e));
    }
    if (root == null || root.isMissingNode() || !root.isObject()) {
      throw invalid("request body must be a JSON object such as {\"model\": \"owner/repo:Q4_K_M\"}");
    }
    for (String name : root.propertyNames()) {
      if (!PULL_FIELDS.contains(name)) {
        throw invalid("unknown field '" + name + "' (allowed: " + ALLOWED_FIELDS + ")");
      }
    }
    String model = stringField(root, "model");
    if (model == null || model.isBlank()) {
      throw invalid("field 'model' is required, e.g. {\"model\": \"owner/repo:Q4_K_M\"}");
    }
    return new PullBody(
        model.trim(),
        stringField(root, "filename"),
        stringField(root, "revision"),
        booleanField(root, "stream", true),
        booleanField(root, "force", false));
  }

  /** Where the JSON broke, without the parser's internals (its class names, source excerpt, char codes). */
  private static String notJson(JacksonException e) {
    String original = String.valueOf(e.getOriginalMessage());
    if (original.startsWith("Duplicate")) {
      int open = original.indexOf('"');
      int close = original.indexOf('"', open + 1);
      return open >= 0 && close > open
          ? "request body has a duplicate key '" + original.substring(open + 1, close) + "'"
          : "request body has a duplicate key";
    }
    var location = e.getLocation();
    if (location == null || location.getLineNr() < 1) {
      return "request body is not valid JSON";
    }
    return "request body is not valid JSON (line " + location.getLineNr() + ", column "
        + location.getColumnNr() + ")";
  }

  private static @Nullable String stringField(JsonNode root, String name) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isString()) {
      throw invalid("field '" + name + "' must be a string");
    }
    return node.stringValue();
  }

  private static boolean booleanField(JsonNode root, String name, boolean absent) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return absent;
    }
    if (!node.isBoolean()) {
      throw invalid("field '" + name + "' must be true or false");
    }
    return node.booleanValue();
  }

  // ---- jobs, cancel, models, metrics ------------------------------------------------------

  private void pullStatus(HttpExchange ex) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("current", coordinator.current().map(WireFormat::job).orElse(null));
    body.put("recent", coordinator.recent().stream().map(WireFormat::job).toList());
    sendJson(ex, 200, body);
  }

  private void cancel(HttpExchange ex) throws IOException {
    requireAdmin(ex);
    boolean discard = discardParameter(ex.rawQuery());
    PullJob job = coordinator.cancel(discard);
    try {
      job.await(cancelWait);
    } catch (PullException ended) {
      LOG.debug("{} ended: {}", job, ended.getMessage());
    } catch (TimeoutException stillRunning) {
      LOG.warn("{} did not end within {} of the cancel", job, cancelWait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("cancelled", job.state() == PullJob.State.CANCELLED);
    body.put("discard", discard);
    body.put("job", WireFormat.job(job));
    sendJson(ex, 200, body);
  }

  private static boolean discardParameter(@Nullable String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return false;
    }
    boolean discard = false;
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String name = eq >= 0 ? pair.substring(0, eq) : pair;
      String value = eq >= 0 ? pair.substring(eq + 1) : "true";
      if (name.equals("discard")) {
        if (value.equalsIgnoreCase("true") || value.equals("1")) {
          discard = true;
        } else if (value.equalsIgnoreCase("false") || value.equals("0")) {
          discard = false;
        } else {
          throw invalid("query parameter 'discard' must be true or false, not '" + value + "'");
        }
      }
    }
    return discard;
  }

  private void models(HttpExchange ex) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("models", coordinator.localModels().stream().map(WireFormat::localModel).toList());
    body.put("model_dir", modelDir.toString());
    sendJson(ex, 200, body);
  }

  private void deleteModel(HttpExchange ex, String rawId) throws IOException {
    requireAdmin(ex);
    String id = modelId(rawId);
    LocalModel deleted = coordinator.deleteModel(id);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("deleted", WireFormat.localModel(deleted));
    body.put("models", supervisor.models().stream().map(DiscoveredModel::id).toList());
    sendJson(ex, 200, body);
  }

  /** Percent-decodes a path segment ({@code +} stays a plus) and rejects ids that are paths. */
  static String modelId(String raw) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw invalid("malformed percent-encoding in model id '" + raw + "'");
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw invalid("malformed percent-encoding in model id '" + raw + "'");
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else {
        byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(encoded, 0, encoded.length);
      }
    }
    String id = bytes.toString(StandardCharsets.UTF_8);
    if (id.isBlank()) {
      throw invalid("model id is empty");
    }
    if (id.contains("/") || id.contains("\\") || id.contains("..") || id.startsWith(".")) {
      throw invalid("model id '" + id + "' must be a plain id as GET /v1/api/models lists it, not a path");
    }
    for (int i = 0; i < id.length(); i++) {
      if (Character.isISOControl(id.charAt(i))) {
        throw invalid("model id must not contain control characters");
      }
    }
    return id;
  }

  private void metrics(HttpExchange ex) throws IOException {
    if (metrics == null) {
      sendJson(ex, 404, WireFormat.error("not_found", "metrics are not enabled on this server"));
      return;
    }
    byte[] text = metrics.get().getBytes(StandardCharsets.UTF_8);
    ex.status(200);
    ex.addResponseHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    OutputStream out = ex.responseBody();
    out.write(text);
    out.flush();
  }

  // ---- listings and instances ------------------------------------------------------------

  private List<String> modelIds() {
    return supervisor.models().stream().map(DiscoveredModel::id).toList();
  }

  /** {@code GET /v1/models} in Shimmy's shape, from discovery: every servable model, running or not. */
  private void openAiModels(HttpExchange ex) throws IOException {
    long created = Instant.now().getEpochSecond();
    List<Map<String, Object>> data = new ArrayList<>();
    for (String id : new TreeSet<>(modelIds())) {
      Map<String, Object> model = new LinkedHashMap<>();
      model.put("id", id);
      model.put("object", "model");
      model.put("created", created);
      model.put("owned_by", "shimmy");
      data.add(model);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("object", "list");
    body.put("data", data);
    sendJson(ex, 200, body);
  }

  private void instances(HttpExchange ex) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("instances", supervisor.instances().stream().map(WireFormat::instance).toList());
    body.put("models", modelIds());
    sendJson(ex, 200, body);
  }

  /** Starts the instance of a model and waits until it is ready (or the load timeout). */
  private void load(HttpExchange ex, String rawId) throws IOException {
    requireAdmin(ex);
    String id = servedModel(modelId(rawId));
    supervisor.load(id, loadTimeout);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("loaded", true);
    body.put("instance", instanceOf(id));
    sendJson(ex, 200, body);
  }

  /** Drains and stops the instance of a model; {@code unloaded} is false when none ran. */
  private void unload(HttpExchange ex, String rawId) throws IOException {
    requireAdmin(ex);
    String id = servedModel(modelId(rawId));
    boolean unloaded = supervisor.unload(id);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", id);
    body.put("unloaded", unloaded);
    sendJson(ex, 200, body);
  }

  /** Shimmy's {@code /api/models/{name}/load|unload|status}, done for real. */
  private void shimmyModelAction(HttpExchange ex, String rawName, String action) throws IOException {
    if (action.equals("status")) {
      if (allow(ex, "GET")) {
        String id = servedModel(modelId(rawName));
        Map<String, Object> instance = instanceOf(id);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("loaded", instance != null && "ready".equals(instance.get("state")));
        body.put("model", id);
        body.put("status", instance == null ? "unloaded" : instance.get("state"));
        sendJson(ex, 200, body);
      }
      return;
    }
    if (!allow(ex, "POST")) {
      return;
    }
    requireAdmin(ex);
    String id = servedModel(modelId(rawName));
    String status;
    if (action.equals("load")) {
      supervisor.load(id, loadTimeout);
      status = "loaded";
    } else {
      status = supervisor.unload(id) ? "unloaded" : "not_loaded";
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("message", "Model " + id + " " + status.replace('_', ' '));
    body.put("status", status);
    sendJson(ex, 200, body);
  }

  /** The served id a name resolves to, as a request's {@code model} would (the router's rules). */
  private String servedModel(String name) {
    try {
      String id = router.resolve(name, modelIds());
      return id == null ? name : id;
    } catch (RoutingException e) {
      throw new SupervisorException(SupervisorException.Reason.MODEL_NOT_FOUND, String.valueOf(e.getMessage()));
    }
  }

  private @Nullable Map<String, Object> instanceOf(String id) {
    for (InstanceState instance : supervisor.instances()) {
      if (instance.model().equals(id)) {
        return WireFormat.instance(instance);
      }
    }
    return null;
  }

  // ---- /v1/generate and the proxy ---------------------------------------------------------

  private void forward(ExchangeWrapper tracked, HttpExchange ex) throws IOException {
    try {
      proxy.handle(ex);
    } catch (SupervisorException e) {
      answerBackend(tracked, e);
    }
  }

  private static void noBackend(HttpExchange ex) {
    throw new SupervisorException(SupervisorException.Reason.NO_BACKEND, "no Shimmy backend is configured");
  }

  // ---- checks -----------------------------------------------------------------------------

  private void requireAdmin(HttpExchange ex) {
    byte[] expected = adminTokenDigest;
    if (expected == null) {
      return;
    }
    String header = ex.requestHeader("Authorization");
    String presented =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
    if (!MessageDigest.isEqual(expected, sha256(presented))) {
      throw new PullException(
          Reason.UNAUTHORIZED,
          header == null ? "this endpoint needs 'Authorization: Bearer <admin token>'" : "wrong admin token");
    }
  }

  private static void requireJsonContentType(HttpExchange ex) {
    String contentType = ex.requestHeader("Content-Type");
    if (contentType == null || contentType.isBlank()) {
      return;
    }
    String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!mediaType.equals(JSON) && !mediaType.endsWith("+json")) {
      throw new PullException(
          Reason.UNSUPPORTED_MEDIA_TYPE,
          "request body must be JSON (Content-Type: application/json), not '" + contentType + "'");
    }
  }

  /** 413 before anything is read or forwarded when the declared Content-Length is over {@code limit}. */
  private static void requireDeclaredLengthWithin(HttpExchange ex, long limit) {
    String length = ex.requestHeader("Content-Length");
    if (length == null) {
      return;
    }
    long declared;
    try {
      declared = Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      return;
    }
    if (declared > limit) {
      throw tooLarge(limit);
    }
  }

  /** Reads at most {@code limit} bytes, counting as it reads (Content-Length is only a hint). */
  private static byte[] readBody(HttpExchange ex, long limit) throws IOException {
    String length = ex.requestHeader("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.trim()) > limit) {
          throw tooLarge(limit);
        }
      } catch (NumberFormatException e) {
        throw invalid("malformed Content-Length '" + length + "'");
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try (InputStream in = ex.requestBody()) {
      int n;
      while ((n = in.read(buffer)) != -1) {
        if (body.size() + (long) n > limit) {
          throw tooLarge(limit);
        }
        body.write(buffer, 0, n);
      }
    }
    return body.toByteArray();
  }

  private static PullException tooLarge(long limit) {
    return new PullException(Reason.PAYLOAD_TOO_LARGE, "request body is larger than " + limit + " bytes");
  }

  private static PullException invalid(String message) {
    return new PullException(Reason.INVALID_REQUEST, message);
  }

  private static boolean allow(HttpExchange ex, String method) throws IOException {
    if (ex.method().equals(method)) {
      return true;
    }
    methodNotAllowed(ex, method);
    return false;
  }

  private static void methodNotAllowed(HttpExchange ex, String allowed) throws IOException {
    ex.addResponseHeader("Allow", allowed);
    sendJson(
        ex,
        405,
        WireFormat.error("method_not_allowed", "method " + ex.method() + " is not allowed on " + ex.path() + " (allowed: " + allowed + ")"));
  }

  // ---- answers ----------------------------------------------------------------------------

  private static void answerError(ExchangeWrapper ex, PullException e) throws IOException {
    if (ex.committed()) {
      throw new IOException("response aborted: " + e.getMessage(), e);
    }
    if (e.reason() == Reason.UNAUTHORIZED) {
      ex.addResponseHeader("WWW-Authenticate", "Bearer");
    }
    if (e.reason().httpStatus() == 503) {
      ex.addResponseHeader("Retry-After", RETRY_AFTER_SECONDS);
    }
    sendJson(ex, e.reason().httpStatus(), WireFormat.error(e));
  }

  private static void answerBackend(ExchangeWrapper ex, SupervisorException e) throws IOException {
    if (ex.committed()) {
      throw new IOException("response aborted: " + e.getMessage(), e);
    }
    String code = e.reason().code();
    Map<String, Object> body = WireFormat.error(code, String.valueOf(e.getMessage()));
    body.put("reason", e.reason().name().toLowerCase(Locale.ROOT));
    if (e.reason().httpStatus() == 503) {
      ex.addResponseHeader("Retry-After", RETRY_AFTER_SECONDS);
    }
    sendJson(ex, e.reason().httpStatus(), body);
  }

  private static void sendJson(HttpExchange ex, int status, Map<String, Object> body) throws IOException {
    byte[] bytes = Json.writeBytes(body);
    ex.status(status);
    ex.addResponseHeader("Content-Type", JSON);
    OutputStream out = ex.responseBody();
    out.write(bytes);
    out.flush();
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** Builds a {@link ShimmyHttpApi}. */
  public static final class Builder {
    private @Nullable PullCoordinator coordinator;
    private @Nullable ShimmySupervisor supervisor;
    private @Nullable HttpHandler proxy;
    private @Nullable Path modelDir;
    private @Nullable String adminToken;
    private long maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private Duration loadTimeout = DEFAULT_LOAD_TIMEOUT;
    private ModelRouter router = ModelRouter.defaults();
    private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private Duration cancelWait = DEFAULT_CANCEL_WAIT;
    private String serviceVersion = "unknown";
    private @Nullable Supplier<String> metrics;

    private Builder() {}

    /** The coordinator behind the pull and model endpoints. Required. */
    public Builder coordinator(PullCoordinator coordinator) {
      this.coordinator = coordinator;
      return this;
    }

    /** The backend whose state health reports; default the coordinator's. */
    public Builder supervisor(ShimmySupervisor supervisor) {
      this.supervisor = supervisor;
      return this;
    }

    /**
     * Answers every route this API does not own (the reverse proxy); default a handler answering
     * 503 {@code backend_unavailable}. A {@link SupervisorException} it throws before answering
     * becomes a 503 JSON error with {@code Retry-After}.
     */
    public Builder proxy(HttpHandler proxy) {
      this.proxy = proxy;
      return this;
    }

    /** The model directory shown by {@code /} and {@code /v1/health}; default the coordinator's. */
    public Builder modelDir(Path modelDir) {
      this.modelDir = modelDir;
      return this;
    }

    /** When set (non-empty), POST and DELETE under {@code /v1/api/} need {@code Authorization: Bearer TOKEN}. */
    public Builder adminToken(@Nullable String adminToken) {
      this.adminToken = adminToken;
      return this;
    }

    /** The largest accepted pull request body; default 64 KiB. */
    public Builder maxRequestBytes(long maxRequestBytes) {
      this.maxRequestBytes = positive(maxRequestBytes, "maxRequestBytes");
      return this;
    }

    /**
     * Resolves the model ids of the instance endpoints (case, aliases) as requests' models are;
     * default {@link ModelRouter#defaults()}. Give it the proxy's router.
     */
    public Builder router(ModelRouter router) {
      this.router = Objects.requireNonNull(router, "router");
      return this;
    }

    /**
     * How long {@code POST /v1/api/instances/{id}} (and Shimmy's {@code /api/models/{name}/load})
     * waits for the instance to be ready; default 120 s ({@link #DEFAULT_LOAD_TIMEOUT}).
     */
    public Builder loadTimeout(Duration loadTimeout) {
      Objects.requireNonNull(loadTimeout, "loadTimeout");
      if (loadTimeout.isNegative() || loadTimeout.isZero()) {
        throw new IllegalArgumentException("loadTimeout must be positive: " + loadTimeout);
      }
      this.loadTimeout = loadTimeout;
      return this;
    }

    /**
     * The largest request body on any route, the proxied ones included: a declared {@code
     * Content-Length} above it is answered 413 {@code payload_too_large} before anything is read or
     * forwarded; a body without a declared length (chunked) is counted while it streams and cut
     * when it grows past the limit (413 when the response has not started, else the exchange is
     * aborted). The pull and {@code /v1/generate} bodies keep their own, lower limits. Default 32
     * MiB ({@link #DEFAULT_MAX_BODY_BYTES}).
     */
    public Builder maxBodyBytes(long maxBodyBytes) {
      this.maxBodyBytes = positive(maxBodyBytes, "maxBodyBytes");
      return this;
    }

    /** How long {@code DELETE /v1/api/pull} waits for the cancelled job to end; default 30 s. */
    public Builder cancelWait(Duration cancelWait) {
      this.cancelWait = cancelWait;
      return this;
    }

    /** The version {@code GET /} reports; default {@code unknown}. */
    public Builder serviceVersion(String serviceVersion) {
      this.serviceVersion = serviceVersion;
      return this;
    }

    /** Prometheus text for {@code GET /v1/api/metrics}; null (default) answers 404. */
    public Builder metrics(@Nullable Supplier<String> prometheusText) {
      this.metrics = prometheusText;
      return this;
    }

    public ShimmyHttpApi build() {
      return new ShimmyHttpApi(this);
    }

    private static long positive(long value, String name) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive, not " + value);
      }
      return value;
    }
  }
}
