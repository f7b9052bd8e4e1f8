package io.github.shimmypull.core.http;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.http.internal.AdminAuth;
import io.github.shimmypull.core.http.internal.ApiRouter;
import io.github.shimmypull.core.http.internal.HealthEndpoint;
import io.github.shimmypull.core.http.internal.InstancesEndpoint;
import io.github.shimmypull.core.http.internal.JsonAnswers;
import io.github.shimmypull.core.http.internal.ModelsEndpoint;
import io.github.shimmypull.core.http.internal.PullEndpoint;
import io.github.shimmypull.core.http.internal.RequestBodies;
import io.github.shimmypull.core.internal.ExchangeWrapper;
import io.github.shimmypull.core.internal.WireFormat;
import io.github.shimmypull.core.ollama.OllamaApi;
import io.github.shimmypull.core.proxy.ShimmyProxy;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every endpoint of the shimmy-pull front server (server-interface.md), framework-neutral: the pull
 * API, models, instances (list, load, unload), health, service info, metrics, the listings {@code
 * /v1/models} and {@code /api/tags} (from discovery, also while no instance runs) and the {@code
 * /v1/generate} alias; everything else goes to the fallback handler (the reverse proxy, which
 * routes by model). Both adapters mount this one handler, so a status code, a validation or an
 * event field is decided here only. The wire formats are in docs/api.md.
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
 *
 * *
 *
 * <p>This class is the entry and the wiring; the router, the endpoints, request bodies, admin auth
 * and the JSON answers are in {@code http.internal}.
 */
public final class ShimmyHttpApi implements HttpHandler {

  private static final Logger LOG = LoggerFactory.getLogger(ShimmyHttpApi.class);

  /** Default for {@link Builder#maxRequestBytes}: the largest pull request body, 64 KiB. */
  public static final long DEFAULT_MAX_REQUEST_BYTES = 64 * 1024;

  /** Request bodies up to this size are read to their end after an early answer: 1 MiB. */
  public static final long DRAIN_LIMIT_BYTES = 1024 * 1024;

  /**
   * Default for {@link Builder#loadTimeout}: how long a load waits for the instance, the ready
   * timeout of a pull ({@link PullCoordinator#DEFAULT_READY_TIMEOUT}, 120 s).
   */
  public static final Duration DEFAULT_LOAD_TIMEOUT = PullCoordinator.DEFAULT_READY_TIMEOUT;

  /** Default for {@link Builder#maxBodyBytes}: the largest request body on any route, 32 MiB. */
  public static final long DEFAULT_MAX_BODY_BYTES = 32L * 1024 * 1024;

  /** Default for {@link Builder#cancelWait}: how long a cancel waits for the job to end. */
  public static final Duration DEFAULT_CANCEL_WAIT = Duration.ofSeconds(30);

  private final long maxBodyBytes;
  private final ApiRouter router;

  private ShimmyHttpApi(Builder b) {
    PullCoordinator coordinator = Objects.requireNonNull(b.coordinator, "coordinator");
    ShimmySupervisor supervisor = b.supervisor != null ? b.supervisor : coordinator.supervisor();
    HttpHandler proxy = b.proxy != null ? b.proxy : ShimmyHttpApi::noBackend;
    Path modelDir = b.modelDir != null ? b.modelDir : coordinator.modelDir();
    AdminAuth auth = new AdminAuth(b.adminToken);
    this.maxBodyBytes = b.maxBodyBytes;
    OllamaApi ollama =
        OllamaApi.builder()
            .coordinator(coordinator)
            .supervisor(supervisor)
            .client(b.proxy instanceof ShimmyProxy p ? p.client() : ShimmyProxy.defaultClient())
            .adminCheck(auth::require)
            .serviceVersion(b.serviceVersion)
            .build();
    this.router =
        new ApiRouter(
            new HealthEndpoint(coordinator, supervisor, modelDir, b.serviceVersion, b.metrics),
            new PullEndpoint(coordinator, auth, b.maxRequestBytes, b.cancelWait),
            new ModelsEndpoint(coordinator, supervisor, modelDir, auth),
            new InstancesEndpoint(supervisor, b.router, b.loadTimeout, auth),
            ollama,
            proxy);
  }

  /**
   * True for the paths this API answers itself whatever the backend state ({@code /}, {@code
   * /v1/health}, {@code /v1/generate}, the listings {@code /v1/models} and {@code /api/tags},
   * Shimmy's {@code /api/models/{name}/load|unload|status}, {@code /v1/api} and everything under
   * it, and Ollama's routes, {@link OllamaApi#PATHS}); every other path is forwarded to a Shimmy
   * instance. A front that routes before this handler (e.g. {@link
   * io.github.shimmypull.core.edge.ShimmyEdge}) uses it to know what is ours.
   */
  public static boolean answersItself(String path) {
    return ApiRouter.answersItself(path);
  }

  /**
   * The largest request body the API accepts for {@code method} on {@code path} (canonical) with
   * the default route limits: 64 KiB for {@code POST /v1/api/pull}, else {@code maxBodyBytes}. A
   * front (the edge) answers 413 itself above it.
   */
  public static long bodyLimit(String method, String path, long maxBodyBytes) {
    return bodyLimit(method, path, DEFAULT_MAX_REQUEST_BYTES, maxBodyBytes);
  }

  /**
   * As {@link #bodyLimit(String, String, long)} for an API built with {@link
   * Builder#maxRequestBytes} {@code maxRequestBytes} (the pull body cap).
   */
  public static long bodyLimit(
      String method, String path, long maxRequestBytes, long maxBodyBytes) {
    long route =
        method.equals("POST") && path.equals("/v1/api/pull") ? maxRequestBytes : maxBodyBytes;
    return Math.min(route, maxBodyBytes);
  }

  /** A new builder; {@code coordinator} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Answers one request: refuses malformed targets, canonicalises the exchange, checks the declared
   * body size, routes, and turns every failure into the JSON error of its reason.
   */
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
      RequestBodies.requireDeclaredLengthWithin(ex, maxBodyBytes);
      router.route(ex);
    } catch (ExchangeWrapper.BodyTooLargeException e) {
      // A body without a declared length (chunked) grew past the limit while it was read.
      JsonAnswers.answerError(ex, RequestBodies.tooLarge(maxBodyBytes));
    } catch (PullException e) {
      if (e.reason().httpStatus() >= 500) {
        LOG.warn(
            "{} {} failed: {} ({})", ex.method(), ex.path(), e.getMessage(), e.reason().code());
      }
      JsonAnswers.answerError(ex, e);
    } catch (SupervisorException e) {
      JsonAnswers.answerBackend(ex, e);
    } catch (RuntimeException e) {
      LOG.error("{} {} failed unexpectedly", ex.method(), ex.path(), e);
      if (ex.committed()) {
        throw new IOException("response aborted after an internal error: " + e, e);
      }
      JsonAnswers.sendJson(
          ex,
          500,
          WireFormat.error("internal_error", "internal error: " + e.getClass().getSimpleName()));
    } catch (IOException e) {
      if (ex.committed() || !isTimeout(e)) {
        throw e;
      }
      // The adapter's read of the request body timed out (Jetty's idle timeout, 30 s by default).
      LOG.info(
          "{} {}: the request body stopped arriving ({})", ex.method(), ex.path(), e.toString());
      ErrorResponses.send(
          ex,
          408,
          "request_timeout",
          "the request body did not arrive in time (a body shorter than its Content-Length?)");
      return;
    }
    RequestBodies.drainSmallRest(exchange, DRAIN_LIMIT_BYTES);
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

  /** Percent-decodes a model id of a path; see {@link RequestBodies#modelId}. */
  static String modelId(String raw) {
    return RequestBodies.modelId(raw);
  }

  private static void noBackend(HttpExchange ex) {
    throw new SupervisorException(
        SupervisorException.Reason.NO_BACKEND, "no Shimmy backend is configured");
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

    /**
     * When set (non-empty), POST and DELETE under {@code /v1/api/} need {@code Authorization:
     * Bearer TOKEN}.
     */
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
