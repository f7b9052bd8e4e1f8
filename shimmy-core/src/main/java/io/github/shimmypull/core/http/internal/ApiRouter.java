package io.github.shimmypull.core.http.internal;

import static io.github.shimmypull.core.http.internal.JsonAnswers.allow;
import static io.github.shimmypull.core.http.internal.JsonAnswers.methodNotAllowed;
import static io.github.shimmypull.core.http.internal.JsonAnswers.sendJson;

import io.github.shimmypull.core.http.HttpHandler;
import io.github.shimmypull.core.internal.ExchangeWrapper;
import io.github.shimmypull.core.internal.WireFormat;
import io.github.shimmypull.core.ollama.OllamaApi;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Sends each request to its endpoint by path and method (405 with {@code Allow} for a wrong method,
 * 404 under {@code /v1/api}); Ollama's routes go to {@link OllamaApi}, everything else to the
 * proxy.
 */
public final class ApiRouter {

  private static final String SHIMMY_MODELS = "/api/models/";
  private static final String INSTANCES = "/v1/api/instances";

  private final HealthEndpoint health;
  private final PullEndpoint pull;
  private final ModelsEndpoint models;
  private final InstancesEndpoint instances;
  private final OllamaApi ollama;
  private final HttpHandler proxy;

  public ApiRouter(
      HealthEndpoint health,
      PullEndpoint pull,
      ModelsEndpoint models,
      InstancesEndpoint instances,
      OllamaApi ollama,
      HttpHandler proxy) {
    this.health = health;
    this.pull = pull;
    this.models = models;
    this.instances = instances;
    this.ollama = ollama;
    this.proxy = proxy;
  }

  /** Whether the API answers {@code path} itself; see {@code ShimmyHttpApi.answersItself}. */
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
    if (name.indexOf('/') >= 0
        || !(action.equals("load") || action.equals("unload") || action.equals("status"))) {
      return null;
    }
    return new String[] {name, action};
  }

  /** Answers the request, or forwards it. */
  public void route(ExchangeWrapper ex) throws IOException {
    String method = ex.method();
    String path = ex.path();
    if (OllamaApi.owns(path)) {
      ollama.handle(ex);
      return;
    }
    switch (path) {
      case "/" -> {
        if (allow(ex, "GET")) {
          health.info(ex);
        }
      }
      case "/v1/health" -> {
        if (allow(ex, "GET")) {
          health.health(ex);
        }
      }
      case "/v1/api/pull" -> {
        switch (method) {
          case "POST" -> pull.pull(ex);
          case "GET" -> pull.status(ex);
          case "DELETE" -> pull.cancel(ex);
          default -> methodNotAllowed(ex, "GET, POST, DELETE");
        }
      }
      case "/v1/api/models" -> {
        if (allow(ex, "GET")) {
          models.list(ex);
        }
      }
      case "/v1/api/metrics" -> {
        if (allow(ex, "GET")) {
          health.metrics(ex);
        }
      }
      case "/v1/generate" -> {
        if (allow(ex, "POST")) {
          forward(ex); // the proxy sends it to /api/generate, with "stream":false when absent
        }
      }
      case "/v1/models" -> {
        if (allow(ex, "GET")) {
          models.openAiModels(ex);
        }
      }
      case INSTANCES -> {
        if (allow(ex, "GET")) {
          instances.list(ex);
        }
      }
      default -> {
        String[] action = modelAction(path);
        if (path.startsWith("/v1/api/models/")) {
          if (allow(ex, "DELETE")) {
            models.delete(ex, path.substring("/v1/api/models/".length()));
          }
        } else if (path.startsWith(INSTANCES + "/")) {
          String id = path.substring(INSTANCES.length() + 1);
          switch (method) {
            case "POST" -> instances.load(ex, id);
            case "DELETE" -> instances.unload(ex, id);
            default -> methodNotAllowed(ex, "POST, DELETE");
          }
        } else if (path.equals("/v1/api") || path.startsWith("/v1/api/")) {
          sendJson(
              ex, 404, WireFormat.error("not_found", "no such endpoint: " + method + " " + path));
        } else if (action != null) {
          instances.shimmyModelAction(ex, action[0], action[1]);
        } else {
          forward(ex);
        }
      }
    }
  }

  private void forward(ExchangeWrapper ex) throws IOException {
    try {
      proxy.handle(ex);
    } catch (SupervisorException e) {
      JsonAnswers.answerBackend(ex, e);
    }
  }
}
