package io.github.shimmypull.core.http.internal;

import static io.github.shimmypull.core.http.internal.JsonAnswers.allow;
import static io.github.shimmypull.core.http.internal.JsonAnswers.sendJson;

import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.internal.WireFormat;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.routing.RoutingException;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The Shimmy instances: their list ({@code GET /v1/api/instances}), load and unload ({@code
 * POST|DELETE /v1/api/instances/{id}}) and Shimmy's own {@code
 * /api/models/{name}/load|unload|status}, done for real. Model names resolve as a request's {@code
 * model} does (the router's rules).
 */
public final class InstancesEndpoint {

  private final ShimmySupervisor supervisor;
  private final ModelRouter router;
  private final Duration loadTimeout;
  private final AdminAuth auth;

  public InstancesEndpoint(
      ShimmySupervisor supervisor, ModelRouter router, Duration loadTimeout, AdminAuth auth) {
    this.supervisor = supervisor;
    this.router = router;
    this.loadTimeout = loadTimeout;
    this.auth = auth;
  }

  /** {@code GET /v1/api/instances}. */
  public void list(HttpExchange ex) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("instances", supervisor.instances().stream().map(WireFormat::instance).toList());
    body.put("models", ModelsEndpoint.servedIds(supervisor));
    sendJson(ex, 200, body);
  }

  /** Starts the instance of a model and waits until it is ready (or the load timeout). */
  public void load(HttpExchange ex, String rawId) throws IOException {
    auth.require(ex);
    String id = servedModel(RequestBodies.modelId(rawId));
    supervisor.load(id, loadTimeout);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("loaded", true);
    body.put("instance", instanceOf(id));
    sendJson(ex, 200, body);
  }

  /** Drains and stops the instance of a model; {@code unloaded} is false when none ran. */
  public void unload(HttpExchange ex, String rawId) throws IOException {
    auth.require(ex);
    String id = servedModel(RequestBodies.modelId(rawId));
    boolean unloaded = supervisor.unload(id);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", id);
    body.put("unloaded", unloaded);
    sendJson(ex, 200, body);
  }

  /** Shimmy's {@code /api/models/{name}/load|unload|status}, done for real. */
  public void shimmyModelAction(HttpExchange ex, String rawName, String action) throws IOException {
    if (action.equals("status")) {
      if (allow(ex, "GET")) {
        String id = servedModel(RequestBodies.modelId(rawName));
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
    auth.require(ex);
    String id = servedModel(RequestBodies.modelId(rawName));
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
      String id = router.resolve(name, ModelsEndpoint.servedIds(supervisor));
      return id == null ? name : id;
    } catch (RoutingException e) {
      throw new SupervisorException(
          SupervisorException.Reason.MODEL_NOT_FOUND, String.valueOf(e.getMessage()));
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
}
