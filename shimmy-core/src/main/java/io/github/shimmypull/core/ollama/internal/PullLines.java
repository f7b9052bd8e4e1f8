package io.github.shimmypull.core.ollama.internal;

import io.github.shimmypull.core.coordinator.PullJob;
import io.github.shimmypull.core.pull.PreparedPull;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.RemoteFile;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns one pull job's events into Ollama's {@code /api/pull} progress lines: {@code pulling
 * manifest}; per file {@code pulling <12 hex>} with {@code digest: sha256:<hub sha256>}, {@code
 * total} and {@code completed}; {@code verifying sha256 digest}; {@code writing manifest}; {@code
 * success} (only when the model is served); or {@code {"error": ...}}. One instance per stream.
 */
public final class PullLines {

  private final PullJob job;
  private final Set<String> finished = new HashSet<>();
  private boolean verified;

  public PullLines(PullJob job) {
    this.job = job;
  }

  /** The lines for {@code event}, in order (often none). */
  public List<Map<String, Object>> lines(PullEvent event) {
    List<Map<String, Object>> lines = new ArrayList<>();
    if (event instanceof PullEvent.Starting) {
      lines.add(status("pulling manifest"));
    } else if (event instanceof PullEvent.Downloading d) {
      lines.add(pulling(d.file(), d.total(), d.completed()));
      if (d.total() > 0 && d.completed() >= d.total()) {
        finished.add(d.file());
      }
    } else if (event instanceof PullEvent.Discovering) {
      verifyOnce(lines);
    } else if (event instanceof PullEvent.Complete) {
      verifyOnce(lines);
      lines.add(status("success"));
    } else if (event instanceof PullEvent.Failed f) {
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("error", f.message());
      lines.add(error);
    }
    return lines;
  }

  /** Whether {@code event} ends the stream. */
  public static boolean terminal(PullEvent event) {
    return event instanceof PullEvent.Complete || event instanceof PullEvent.Failed;
  }

  /**
   * Files already present (no download) still get their complete line, as Ollama shows cached
   * layers.
   */
  private void verifyOnce(List<Map<String, Object>> lines) {
    if (verified) {
      return;
    }
    verified = true;
    PreparedPull prepared = job.preparedPull();
    if (prepared != null) {
      for (RemoteFile f : prepared.files()) {
        if (!finished.contains(f.localName())) {
          lines.add(pulling(f.localName(), f.size(), f.size()));
          finished.add(f.localName());
        }
      }
    }
    lines.add(status("verifying sha256 digest"));
    lines.add(status("writing manifest"));
  }

  private Map<String, Object> pulling(String file, long total, long completed) {
    String sha256 = sha256Of(file);
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("status", "pulling " + (sha256.length() >= 12 ? sha256.substring(0, 12) : file));
    line.put("digest", "sha256:" + sha256);
    line.put("total", total);
    line.put("completed", completed);
    return line;
  }

  private String sha256Of(String file) {
    PreparedPull prepared = job.preparedPull();
    if (prepared != null) {
      for (RemoteFile f : prepared.files()) {
        if (f.localName().equals(file) || f.path().equals(file)) {
          return f.sha256();
        }
      }
    }
    return "";
  }

  private static Map<String, Object> status(String status) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("status", status);
    return line;
  }
}
