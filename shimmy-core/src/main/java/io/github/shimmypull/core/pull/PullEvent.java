package io.github.shimmypull.core.pull;

import java.util.List;

/**
 * What happens during a pull, in order: starting, resolving, downloading (repeated), verifying,
 * discovering, making servable (wire status {@code restarting}), and last complete or error. The
 * puller emits the download phases; the coordinator adds the rest. {@link #status()} is the wire
 * name of the NDJSON {@code status}.
 */
public sealed interface PullEvent {

  /** The {@code status} field on the wire. */
  String status();

  /** A job was accepted for {@code model}. */
  record Starting(String model) implements PullEvent {
    @Override
    public String status() {
      return "starting";
    }
  }

  /** The reference is being resolved to a commit and files. */
  record Resolving(String repo, String revision) implements PullEvent {
    @Override
    public String status() {
      return "resolving";
    }
  }

  /**
   * Download progress: {@code completed} of {@code total} bytes of {@code file}, and of all files.
   * Emitted at a throttled rate (and once at 100%).
   */
  record Downloading(
      String file, long total, long completed, long overallTotal, long overallCompleted)
      implements PullEvent {
    @Override
    public String status() {
      return "downloading";
    }
  }

  /** {@code file}'s bytes are being checked (size, sha256, GGUF magic). */
  record Verifying(String file) implements PullEvent {
    @Override
    public String status() {
      return "verifying";
    }
  }

  /** {@code file} was moved into the model directory (or was already there, verified). */
  record Published(String file, boolean downloaded) implements PullEvent {
    @Override
    public String status() {
      return "published";
    }
  }

  /** The model directory is being scanned for the ids Shimmy will serve. */
  record Discovering() implements PullEvent {
    @Override
    public String status() {
      return "discovering";
    }
  }

  /**
   * The supervisor is making {@code model} servable: it refreshes its view of the directory
   * (replacing the running instance of {@code model} blue-green when its files changed) and warms
   * the instance when there is room. {@code models} are every id discovered in the directory,
   * sorted. Its wire status stays {@code restarting}, as fixed in the server interface; no running
   * instance of another model is restarted.
   */
  record MakingServable(String model, List<String> models) implements PullEvent {
    public MakingServable {
      models = List.copyOf(models);
    }

    @Override
    public String status() {
      return "restarting";
    }
  }

  /** The model is published and the live Shimmy lists it. */
  record Complete(PullResult result) implements PullEvent {
    @Override
    public String status() {
      return "complete";
    }
  }

  /** The pull failed after it started; {@code code} is the reason's stable code. */
  record Failed(io.github.shimmypull.core.PullException.Reason reason, String message)
      implements PullEvent {
    @Override
    public String status() {
      return "error";
    }
  }
}
