package io.github.shimmypull.core.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.coordinator.PullJob;
import io.github.shimmypull.core.coordinator.PullProgress;
import io.github.shimmypull.core.pull.LocalModel;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.InstanceState;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The JSON shapes of the pull API (documented in docs/api.md): NDJSON events, jobs, results, local
 * models, backend state and error bodies. Field order is part of the format (maps keep insertion
 * order). Both adapters serve exactly these shapes because only core writes them.
 */
public final class WireFormat {

  private WireFormat() {}

  /**
   * The NDJSON line of an event, or null for events that are not part of the wire protocol ({@code
   * published} is internal: the stream goes on with {@code discovering}).
   */
  public static @Nullable Map<String, Object> event(PullEvent event) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", event.status());
    if (event instanceof PullEvent.Starting s) {
      m.put("model", s.model());
    } else if (event instanceof PullEvent.Resolving r) {
      m.put("repo", r.repo());
      m.put("revision", r.revision());
    } else if (event instanceof PullEvent.Downloading d) {
      m.put("file", d.file());
      m.put("total", d.total());
      m.put("completed", d.completed());
      m.put("overall_total", d.overallTotal());
      m.put("overall_completed", d.overallCompleted());
    } else if (event instanceof PullEvent.Verifying v) {
      m.put("file", v.file());
    } else if (event instanceof PullEvent.Published) {
      return null;
    } else if (event instanceof PullEvent.MakingServable r) {
      m.put("model", r.model());
      m.put("models", r.models());
    } else if (event instanceof PullEvent.Complete c) {
      m.putAll(result(c.result()));
    } else if (event instanceof PullEvent.Failed f) {
      m.put("code", f.reason().code());
      m.put("error", f.message());
    }
    return m;
  }

  /** The fields of a {@code complete} event (without {@code status}). */
  public static Map<String, Object> result(PullResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model_id", r.modelId());
    m.put("file", r.file());
    m.put("files", r.files());
    m.put("size_mb", r.sizeMb());
    m.put("sha256", r.sha256());
    m.put("revision", r.revision());
    m.put("discovered", true);
    m.put("repo", r.repo());
    m.put("size", r.sizeBytes());
    m.put("downloaded", r.downloaded());
    return m;
  }

  /** A job as {@code GET /v1/api/pull}, {@code /v1/health} and 409 bodies show it. */
  public static Map<String, Object> job(PullJob job) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", job.id());
    m.put("model", job.model());
    m.put("model_id", job.modelId());
    m.put("state", job.state().wireName());
    m.put("phase", job.phase());
    PullProgress p = job.progress();
    m.put("file", p.file());
    m.put("total", p.total());
    m.put("completed", p.completed());
    m.put("overall_total", p.overallTotal());
    m.put("overall_completed", p.overallCompleted());
    m.put("started_at", job.startedAt().toString());
    m.put("ended_at", job.endedAt() == null ? null : String.valueOf(job.endedAt()));
    PullResult result = job.result();
    if (result != null) {
      m.put("result", result(result));
    }
    PullException error = job.error();
    if (error != null) {
      m.put("error", error(error.reason().code(), String.valueOf(error.getMessage())));
    }
    return m;
  }

  /** A local model as {@code GET /v1/api/models} lists it. */
  public static Map<String, Object> localModel(LocalModel model) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", model.id());
    m.put("file", model.files().isEmpty() ? null : model.files().get(0));
    m.put("files", model.files());
    m.put("size", model.sizeBytes());
    m.put("size_mb", PullResult.mebibytes(model.sizeBytes()));
    m.put("sha256", model.sha256());
    m.put("repo", model.repo());
    m.put("commit", model.commit());
    return m;
  }

  /** The {@code backend} object of {@code /v1/health}. */
  public static Map<String, Object> backend(BackendState state) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("state", state.status().wireName());
    m.put("pid", state.pid());
    m.put("port", state.port());
    m.put("restarts", state.restarts());
    m.put("last_exit", state.lastExit());
    m.put("reason", state.reason());
    return m;
  }

  /** An instance as {@code GET /v1/api/instances} and {@code /v1/health} list it. */
  public static Map<String, Object> instance(InstanceState instance) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", instance.model());
    m.put("state", instance.status().wireName());
    m.put("pid", instance.pid());
    m.put("port", instance.port());
    m.put("started", instant(instance.startedAt()));
    m.put("last_used", instant(instance.lastUsed()));
    m.put("in_flight", instance.inFlight());
    m.put("expires", instant(instance.expiresAt()));
    m.put("restarts", instance.restarts());
    m.put("reason", instance.reason());
    m.put("size", instance.sizeBytes());
    return m;
  }

  private static @Nullable String instant(@Nullable Instant instant) {
    return instant == null ? null : instant.toString();
  }

  /** An error body: {@code {"error": MESSAGE, "code": CODE}}. */
  public static Map<String, Object> error(String code, String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", message);
    m.put("code", code);
    return m;
  }

  /** The error body of a pull failure, with its details after {@code error} and {@code code}. */
  public static Map<String, Object> error(PullException e) {
    Map<String, Object> m = error(e.reason().code(), String.valueOf(e.getMessage()));
    e.details().forEach(m::putIfAbsent);
    return m;
  }
}
