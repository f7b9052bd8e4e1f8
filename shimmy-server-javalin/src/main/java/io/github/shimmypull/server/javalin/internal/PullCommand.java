package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.coordinator.ModelDirectoryLock;
import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.pull.ModelDirCheck;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PreparedPull;
import io.github.shimmypull.core.pull.PullCancellation;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.pull.RemoteFile;
import io.github.shimmypull.core.pull.internal.PullStore;
import io.github.shimmypull.supervisor.ShimmyOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pull REF}: downloads, verifies and publishes a model into the model directory; for init
 * containers and CI. Holds the model directory's lock (the one the server's pulls hold) while it
 * works, so it never races a server or another pull on the same directory.
 */
@Command(
    name = "pull",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Downloads, verifies and publishes a model into the model directory, then exits.",
      "Exit 0 on success (also when already present and verified), 1 on failure, 2 on a usage error."
    })
public final class PullCommand implements Callable<Integer> {

  /** How long Ctrl-C waits for the pull to stop and keep its bytes: 10 s. */
  static final Duration INTERRUPT_GRACE = Duration.ofSeconds(10);

  private final PrintStream out;
  private final PrintStream err;

  @Parameters(
      index = "0",
      paramLabel = "REF",
      description =
          "owner/repo:TAG, owner/repo with --file,%nhf.co/owner/repo[:TAG] or%nhttps://huggingface.co/owner/repo.")
  @Nullable String ref;

  @Option(
      names = "--file",
      paramLabel = "NAME",
      description = "File in the repo to pull (may be in a sub-folder); must end in .gguf.")
  @Nullable String file;

  @Option(
      names = "--revision",
      paramLabel = "REV",
      description = "Branch, tag or commit (default main).")
  @Nullable String revision;

  @Option(
      names = "--model-dir",
      paramLabel = "DIR",
      description = "Model directory%n(env SHIMMY_PULL_MODEL_DIR, default ${DEFAULT-VALUE}).")
  Path modelDir = ShimmyOptions.DEFAULT_MODEL_DIR;

  @Option(
      names = "--hf-endpoint",
      paramLabel = "URL",
      description =
          "Hugging Face endpoint or mirror%n(env SHIMMY_PULL_HF_ENDPOINT or HF_ENDPOINT,%ndefault https://huggingface.co).")
  @Nullable String hfEndpoint;

  @Option(
      names = "--hf-token",
      paramLabel = "TOKEN",
      description =
          "Bearer token for gated or private repos (env SHIMMY_PULL_HF_TOKEN or HF_TOKEN).")
  @Nullable String hfToken;

  @Option(
      names = "--disk-reserve-bytes",
      paramLabel = "SIZE",
      converter = ServeCommand.ReserveConverter.class,
      description =
          "Free disk space the pull must leave, e.g. 5GiB, 0 for none (env SHIMMY_PULL_DISK_RESERVE_BYTES, default ${DEFAULT-VALUE}).")
  long diskReserveBytes = ShimmyOptions.DEFAULT_DISK_RESERVE_BYTES;

  @Option(
      names = "--force",
      description = "Download again even when the file is present and verified.")
  boolean force;

  @Option(
      names = "--lock-wait",
      defaultValue = "60m",
      paramLabel = "DURATION",
      converter = ServeCommand.DurationConverter.class,
      description =
          "How long to wait while a server or another pull works on the model directory (default ${DEFAULT-VALUE}).")
  Duration lockWait = Duration.ofMinutes(60);

  @Option(
      names = "--verbose",
      description = "Log what happens (and print the stack trace of a failure) on stderr.")
  boolean verbose;

  PullCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws Exception {
    ModelRef parsed = ModelRef.parse(Objects.requireNonNull(ref), file, revision);
    ModelDirCheck.require(modelDir, true);
    Path shownDir = modelDir.toAbsolutePath().normalize();
    HuggingFacePuller puller =
        HuggingFacePuller.builder()
            .modelDir(modelDir)
            .endpoint(hfEndpoint != null ? hfEndpoint : HuggingFacePuller.DEFAULT_ENDPOINT)
            .token(hfToken)
            .diskReserveBytes(diskReserveBytes)
            .build();
    ModelDirectoryLock lock = new ModelDirectoryLock(modelDir);
    Map<String, Object> holder = new LinkedHashMap<>();
    holder.put("operation", "pull");
    holder.put("model", parsed.toString());
    holder.put("pid", ProcessHandle.current().pid());
    holder.put("started_at", Instant.now().toString());
    ModelDirectoryLock.Held held = lock.tryAcquire(holder);
    if (held == null) {
      out.println("waiting for the model directory, busy with " + describe(lock.describeHolder()));
      held = lock.acquire(holder, lockWait);
      if (held == null) {
        throw new IllegalStateException(
            "the model directory "
                + shownDir
                + " stayed busy for "
                + lockWait
                + " with "
                + describe(lock.describeHolder()));
      }
    }
    ProgressPrinter progress = new ProgressPrinter(out, System.console() != null, System::nanoTime);
    PullCancellation cancellation = new PullCancellation();
    CountDownLatch ended = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    Thread onInterrupt =
        new Thread(
            () -> {
              interrupted.set(true);
              cancellation.cancel();
              try {
                ended.await(INTERRUPT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "shimmy-pull-interrupt");
    Runtime.getRuntime().addShutdownHook(onInterrupt);
    PullResult result;
    try (ModelDirectoryLock.Held ignored = held) {
      PreparedPull prepared = puller.prepare(parsed, force);
      announceResume(prepared);
      result = puller.pull(prepared, progress, cancellation);
    } catch (PullException e) {
      if (!interrupted.get() || e.reason() != PullException.Reason.CANCELLED) {
        throw e;
      }
      progress.finish();
      err.println(
          "interrupted: kept "
              + progress.lastCompleted()
              + " bytes of "
              + progress.lastFile()
              + " in "
              + shownDir
              + "; run the same command to resume");
      err.flush();
      return 130;
    } finally {
      progress.finish();
      ended.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(onInterrupt);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is exiting (Ctrl-C): the hook is running and ends now
      }
    }
    out.printf(
        "%s %s: %s (%s, sha256 %s, revision %s) in %s%n",
        result.downloaded() ? "pulled" : "already present",
        result.modelId(),
        String.join(", ", result.files()),
        ProgressPrinter.size(result.sizeBytes()),
        result.sha256(),
        result.revision(),
        shownDir);
    out.flush();
    return 0;
  }

  /** Says so when a file of the pull continues from bytes a previous, interrupted pull kept. */
  private void announceResume(PreparedPull prepared) {
    if (prepared.force()) {
      return;
    }
    PullStore store = new PullStore(modelDir);
    for (RemoteFile remote : prepared.files()) {
      long kept = store.resumableBytes(remote.localName(), remote.sha256(), remote.size());
      if (kept > 0 && kept < remote.size()) {
        out.println(
            "resuming "
                + remote.localName()
                + " from "
                + ProgressPrinter.size(kept)
                + " of "
                + ProgressPrinter.size(remote.size())
                + " kept by an earlier pull");
      }
    }
    out.flush();
  }

  /** The lock holder as a sentence: {@code pull of owner/repo:TAG (pid 123, since 2026-...)}. */
  static String describe(Map<String, Object> holder) {
    if (holder.isEmpty()) {
      return "another process";
    }
    Object operation = holder.getOrDefault("operation", "work");
    Object model = holder.get("model");
    StringBuilder text = new StringBuilder().append(operation);
    if (model != null) {
      text.append(" of ").append(model);
    }
    List<String> facts = new ArrayList<>();
    if (holder.get("pid") != null) {
      facts.add("pid " + holder.get("pid"));
    }
    if (holder.get("started_at") != null) {
      facts.add("since " + holder.get("started_at"));
    }
    if (!facts.isEmpty()) {
      text.append(" (").append(String.join(", ", facts)).append(')');
    }
    return text.toString();
  }
}
