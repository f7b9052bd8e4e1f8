package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.coordinator.ModelDirectoryLock;
import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PullCancellation;
import io.github.shimmypull.core.pull.PullResult;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
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

  private final PrintStream out;

  @Parameters(index = "0", paramLabel = "REF", description = "owner/repo:TAG, owner/repo with --file, hf.co/owner/repo[:TAG] or https://huggingface.co/owner/repo.")
  @Nullable String ref;

  @Option(names = "--file", paramLabel = "NAME", description = "File in the repo to pull (may be in a sub-folder); must end in .gguf.")
  @Nullable String file;

  @Option(names = "--revision", paramLabel = "REV", description = "Branch, tag or commit (default main).")
  @Nullable String revision;

  @Option(names = "--model-dir", defaultValue = "./models", paramLabel = "DIR", description = "Model directory (env SHIMMY_PULL_MODEL_DIR, default ${DEFAULT-VALUE}).")
  Path modelDir = Path.of("models");

  @Option(names = "--hf-endpoint", paramLabel = "URL", description = "Hugging Face endpoint or mirror (env SHIMMY_PULL_HF_ENDPOINT or HF_ENDPOINT, default https://huggingface.co).")
  @Nullable String hfEndpoint;

  @Option(names = "--hf-token", paramLabel = "TOKEN", description = "Bearer token for gated or private repos (env SHIMMY_PULL_HF_TOKEN or HF_TOKEN).")
  @Nullable String hfToken;

  @Option(names = "--force", description = "Download again even when the file is present and verified.")
  boolean force;

  @Option(
      names = "--lock-wait",
      defaultValue = "60m",
      paramLabel = "DURATION",
      converter = ServeCommand.DurationConverter.class,
      description = "How long to wait while a server or another pull works on the model directory (default ${DEFAULT-VALUE}).")
  Duration lockWait = Duration.ofMinutes(60);

  @Option(names = "--verbose", description = "Log what happens (and print the stack trace of a failure) on stderr.")
  boolean verbose;

  PullCommand(PrintStream out) {
    this.out = out;
  }

  @Override
  public Integer call() throws Exception {
    ModelRef parsed = ModelRef.parse(Objects.requireNonNull(ref), file, revision);
    Files.createDirectories(modelDir);
    HuggingFacePuller puller =
        HuggingFacePuller.builder()
            .modelDir(modelDir)
            .endpoint(hfEndpoint != null ? hfEndpoint : HuggingFacePuller.DEFAULT_ENDPOINT)
            .token(hfToken)
            .build();
    ModelDirectoryLock lock = new ModelDirectoryLock(modelDir);
    Map<String, Object> holder = new LinkedHashMap<>();
    holder.put("operation", "pull");
    holder.put("model", parsed.toString());
    holder.put("pid", ProcessHandle.current().pid());
    holder.put("started_at", Instant.now().toString());
    ModelDirectoryLock.Held held = lock.tryAcquire(holder);
    if (held == null) {
      out.println("waiting for the model directory, busy with " + lock.describeHolder());
      held = lock.acquire(holder, lockWait);
      if (held == null) {
        throw new IllegalStateException(
            "the model directory " + modelDir + " stayed busy for " + lockWait + ": " + lock.describeHolder());
      }
    }
    ProgressPrinter progress = new ProgressPrinter(out, System.console() != null, System::nanoTime);
    PullResult result;
    try (ModelDirectoryLock.Held ignored = held) {
      result = puller.pull(puller.prepare(parsed, force), progress, new PullCancellation());
    } finally {
      progress.finish();
    }
    out.printf(
        "%s %s: %s (%s, sha256 %s, revision %s)%n",
        result.downloaded() ? "pulled" : "already present",
        result.modelId(),
        String.join(", ", result.files()),
        ProgressPrinter.size(result.sizeBytes()),
        result.sha256(),
        result.revision());
    out.flush();
    return 0;
  }
}
