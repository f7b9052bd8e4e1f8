package io.github.shimmypull.examples.kubernetes;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The parts of the server jar's fixed interface (shared docs, server-interface.md) that deployment
 * manifests depend on, copied here so the checks stay independent of files outside the repository.
 */
final class ServerInterface {

  /** The stable build output of {@code ./mvnw -B -DskipTests package}. */
  static final String SERVER_JAR_BUILD_PATH = "shimmy-server-javalin/target/shimmy-server.jar";

  static final int DEFAULT_PORT = 8080;

  static final String HEALTH_PATH = "/v1/health";

  /** Bound on the drain of in-flight requests after SIGTERM or a blue-green switch. */
  static final int DRAIN_SECONDS = 30;

  static final Set<String> RESTART_MODES = Set.of("blue-green", "in-place");

  /** Options of {@code serve}, each mapped to whether it takes a value. */
  static final Map<String, Boolean> SERVE_OPTIONS =
      Map.ofEntries(
          Map.entry("--port", true),
          Map.entry("--bind", true),
          Map.entry("--model-dir", true),
          Map.entry("--shimmy-command", true),
          Map.entry("--hf-endpoint", true),
          Map.entry("--hf-token", true),
          Map.entry("--admin-token", true),
          Map.entry("--restart-mode", true),
          Map.entry("--ready-timeout", true),
          Map.entry("--pull", true));

  /** Options of {@code pull}, each mapped to whether it takes a value. */
  static final Map<String, Boolean> PULL_OPTIONS =
      Map.ofEntries(
          Map.entry("--file", true),
          Map.entry("--revision", true),
          Map.entry("--model-dir", true),
          Map.entry("--hf-endpoint", true),
          Map.entry("--hf-token", true),
          Map.entry("--force", false),
          Map.entry("--verbose", false));

  /**
   * Options whose value is a secret: it belongs in an environment variable from a Secret, not in
   * args.
   */
  static final Set<String> SECRET_OPTIONS = Set.of("--hf-token", "--admin-token");

  /** Environment variables the server and the pull command read. */
  static final Set<String> ENVIRONMENT =
      Set.of(
          "HF_TOKEN",
          "HF_ENDPOINT",
          "SHIMMY_PULL_ADMIN_TOKEN",
          "SHIMMY_PULL_PORT",
          "SHIMMY_PULL_BIND",
          "SHIMMY_PULL_MODEL_DIR",
          "SHIMMY_PULL_SHIMMY_COMMAND",
          "SHIMMY_PULL_RESTART_MODE",
          "SHIMMY_PULL_READY_TIMEOUT",
          "SHIMMY_PULL_PULL");

  private static final String REPO_PART = "[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?";

  /**
   * {@code owner/repo[:TAG]}, optionally prefixed by {@code hf.co/} or {@code
   * https://huggingface.co/}.
   */
  static final Pattern MODEL_REF =
      Pattern.compile(
          "(?:hf\\.co/|https://huggingface\\.co/)?"
              + REPO_PART
              + "/"
              + REPO_PART
              + "(?::[A-Za-z0-9][A-Za-z0-9._-]*)?");

  private ServerInterface() {}

  /** Whether a text is a model reference the {@code pull} command accepts. */
  static boolean isModelRef(String text) {
    return MODEL_REF.matcher(text).matches() && !text.contains("..") && !text.contains("--");
  }
}
