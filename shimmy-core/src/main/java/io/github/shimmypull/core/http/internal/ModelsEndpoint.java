package io.github.shimmypull.core.http.internal;

import static io.github.shimmypull.core.http.internal.JsonAnswers.sendJson;

import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.internal.WireFormat;
import io.github.shimmypull.core.pull.LocalModel;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The models: those of the directory ({@code GET /v1/api/models}), their deletion ({@code DELETE
 * /v1/api/models/{id}}) and the servable ones in OpenAI's shape ({@code GET /v1/models}).
 */
public final class ModelsEndpoint {

  private final PullCoordinator coordinator;
  private final ShimmySupervisor supervisor;
  private final Path modelDir;
  private final AdminAuth auth;

  public ModelsEndpoint(
      PullCoordinator coordinator, ShimmySupervisor supervisor, Path modelDir, AdminAuth auth) {
    this.coordinator = coordinator;
    this.supervisor = supervisor;
    this.modelDir = modelDir;
    this.auth = auth;
  }

  /** The ids the supervisor's discovery lists: the servable models, running or not. */
  public static List<String> servedIds(ShimmySupervisor supervisor) {
    return supervisor.models().stream().map(DiscoveredModel::id).toList();
  }

  /** {@code GET /v1/api/models}. */
  public void list(HttpExchange ex) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("models", coordinator.localModels().stream().map(WireFormat::localModel).toList());
    body.put("model_dir", modelDir.toString());
    sendJson(ex, 200, body);
  }

  /** {@code DELETE /v1/api/models/{id}}. */
  public void delete(HttpExchange ex, String rawId) throws IOException {
    auth.require(ex);
    String id = RequestBodies.modelId(rawId);
    LocalModel deleted = coordinator.deleteModel(id);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("deleted", WireFormat.localModel(deleted));
    body.put("models", servedIds(supervisor));
    sendJson(ex, 200, body);
  }

  /**
   * {@code GET /v1/models} in Shimmy's shape, from discovery: every servable model, running or not.
   */
  public void openAiModels(HttpExchange ex) throws IOException {
    long created = Instant.now().getEpochSecond();
    List<Map<String, Object>> data = new ArrayList<>();
    for (String id : new TreeSet<>(servedIds(supervisor))) {
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
}
