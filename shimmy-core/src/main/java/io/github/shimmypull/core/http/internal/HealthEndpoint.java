package io.github.shimmypull.core.http.internal;

import static io.github.shimmypull.core.http.internal.JsonAnswers.sendJson;

import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.http.ErrorResponses;
import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.internal.WireFormat;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.ServiceHealth;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * How the service is: {@code GET /} (name, version, backend, endpoints), {@code GET /v1/health}
 * (the {@link ServiceHealth} policy with backend, models, running pull and instances) and {@code
 * GET /v1/api/metrics} (Prometheus text, when enabled).
 */
public final class HealthEndpoint {

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
  private final Path modelDir;
  private final String serviceVersion;
  private final @Nullable Supplier<String> metrics;

  public HealthEndpoint(
      PullCoordinator coordinator,
      ShimmySupervisor supervisor,
      Path modelDir,
      String serviceVersion,
      @Nullable Supplier<String> metrics) {
    this.coordinator = coordinator;
    this.supervisor = supervisor;
    this.modelDir = modelDir;
    this.serviceVersion = serviceVersion;
    this.metrics = metrics;
  }

  /** {@code GET /}: the service info. */
  public void info(HttpExchange ex) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", "shimmy-pull");
    body.put("version", serviceVersion);
    body.put("backend", supervisor.state().status().wireName());
    body.put("model_dir", modelDir.toString());
    body.put("endpoints", ENDPOINTS);
    sendJson(ex, 200, body);
  }

  /** {@code GET /v1/health}: 200 or 503 (with {@code Retry-After}) by {@link ServiceHealth}. */
  public void health(HttpExchange ex) throws IOException {
    BackendState state = supervisor.state();
    ServiceHealth health = ServiceHealth.of(state.status(), coordinator.isClosed());
    int httpStatus = health.httpStatus();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", health.wireName());
    body.put("backend", WireFormat.backend(state));
    body.put("models", ModelsEndpoint.servedIds(supervisor));
    body.put("model_dir", modelDir.toString());
    body.put("pull", coordinator.current().map(WireFormat::job).orElse(null));
    body.put("instances", supervisor.instances().stream().map(WireFormat::instance).toList());
    if (httpStatus == 503) {
      ex.addResponseHeader("Retry-After", ErrorResponses.RETRY_AFTER_SECONDS);
    }
    sendJson(ex, httpStatus, body);
  }

  /** {@code GET /v1/api/metrics}: Prometheus text, or 404 when metrics are not enabled. */
  public void metrics(HttpExchange ex) throws IOException {
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
}
