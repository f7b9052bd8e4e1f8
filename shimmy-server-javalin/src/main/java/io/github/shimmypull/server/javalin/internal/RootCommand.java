package io.github.shimmypull.server.javalin.internal;

import picocli.CommandLine.Command;

/** The top-level command of {@code java -jar shimmy-server.jar}; {@code serve} is the default. */
@Command(
    name = "shimmy-server",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Runtime model management for Shimmy: pull GGUF models from Hugging Face and serve them.",
      "COMMAND defaults to serve: 'java -jar shimmy-server.jar --port 9000' runs 'serve --port 9000'."
    },
    synopsisSubcommandLabel = "[COMMAND]",
    footer = {
      "",
      "Environment variables (an option on the command line wins):",
      "  SHIMMY_PULL_PORT            --port",
      "  SHIMMY_PULL_BIND            --bind",
      "  SHIMMY_PULL_MODEL_DIR       --model-dir",
      "  SHIMMY_PULL_SHIMMY_COMMAND  --shimmy-command",
      "  SHIMMY_PULL_HF_ENDPOINT     --hf-endpoint (then HF_ENDPOINT)",
      "  SHIMMY_PULL_HF_TOKEN        --hf-token (then HF_TOKEN)",
      "  SHIMMY_PULL_ADMIN_TOKEN     --admin-token",
      "  SHIMMY_PULL_RESTART_MODE    --restart-mode",
      "  SHIMMY_PULL_READY_TIMEOUT   --ready-timeout",
      "  SHIMMY_PULL_PULL            --pull (comma-separated)",
      "  SHIMMY_PULL_MAX_BODY_SIZE   --max-body-size",
      "  SHIMMY_PULL_MAX_LOADED_MODELS --max-loaded-models",
      "  SHIMMY_PULL_MAX_LOADED_BYTES --max-loaded-bytes",
      "  SHIMMY_PULL_MAX_QUEUE       --max-queue",
      "  SHIMMY_PULL_QUEUE_TIMEOUT   --queue-timeout",
      "  SHIMMY_PULL_KEEP_ALIVE      --keep-alive",
      "  SHIMMY_PULL_DEFAULT_MODEL   --default-model",
      "Exit codes: 0 success, 1 failure (one 'error: ...' line on stderr), 2 usage error."
    })
public final class RootCommand implements Runnable {
  @Override
  public void run() {
    throw new IllegalStateException("the root command always dispatches to a subcommand");
  }
}
