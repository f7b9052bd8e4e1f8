package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.supervisor.ShimmyOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Environment variables as defaults of the server jar's options: {@code --model-dir} reads {@code
 * SHIMMY_PULL_MODEL_DIR}, and so on; {@code --hf-endpoint} and {@code --hf-token} fall back to
 * Hugging Face's own {@code HF_ENDPOINT} and {@code HF_TOKEN}. A command-line option wins over the
 * environment, the environment over the built-in default, which for the options shared with the
 * plugin and the starter is {@link ShimmyOptions}' (written as a user would type it, so that {@code
 * --help} shows {@code 120s} and {@code 32MiB}).
 */
public final class EnvDefaults implements IDefaultValueProvider {

  /**
   * Every option that has an environment variable, with the variables in the order they are read.
   */
  public static final Map<String, List<String>> VARIABLES = variables();

  /**
   * The defaults of the options shared with the plugin and the starter, from {@link ShimmyOptions}.
   */
  static final Map<String, String> OPTIONS_DEFAULTS = optionsDefaults(ShimmyOptions.defaults());

  private final Map<String, String> env;

  public EnvDefaults(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  @Override
  public @Nullable String defaultValue(ArgSpec argSpec) {
    if (!(argSpec instanceof OptionSpec option)) {
      return null;
    }
    for (String variable : VARIABLES.getOrDefault(option.longestName(), List.of())) {
      String value = env.get(variable);
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return OPTIONS_DEFAULTS.get(option.longestName());
  }

  private static Map<String, String> optionsDefaults(ShimmyOptions defaults) {
    return Map.of(
        "--model-dir", defaults.modelDir().toString(),
        "--shimmy-command", String.join(" ", defaults.shimmyCommand()),
        "--restart-mode", defaults.restartMode().wireName(),
        "--ready-timeout", Durations.format(defaults.readyTimeout()),
        "--max-body-bytes", Sizes.format(defaults.maxBodyBytes()),
        "--disk-reserve-bytes", Sizes.format(defaults.diskReserveBytes()),
        "--max-loaded-models", Integer.toString(defaults.maxLoadedModels()),
        "--max-queue", Integer.toString(defaults.maxQueue()),
        "--queue-timeout", Durations.format(defaults.queueTimeout()),
        "--keep-alive",
            defaults.keepAlive().isNegative() ? "-1" : Durations.format(defaults.keepAlive()));
  }

  private static Map<String, List<String>> variables() {
    Map<String, List<String>> map = new LinkedHashMap<>();
    for (String option :
        List.of(
            "--port",
            "--bind",
            "--model-dir",
            "--shimmy-command",
            "--shimmy-url",
            "--admin-token",
            "--restart-mode",
            "--ready-timeout",
            "--pull",
            "--max-body-bytes",
            "--disk-reserve-bytes",
            "--body-read-timeout",
            "--proxy-engine",
            "--max-loaded-models",
            "--max-loaded-bytes",
            "--max-queue",
            "--queue-timeout",
            "--keep-alive",
            "--default-model")) {
      map.put(option, List.of(envName(option)));
    }
    map.put("--hf-endpoint", List.of(envName("--hf-endpoint"), "HF_ENDPOINT"));
    map.put("--hf-token", List.of(envName("--hf-token"), "HF_TOKEN"));
    return Map.copyOf(map);
  }

  /** {@code --model-dir} → {@code SHIMMY_PULL_MODEL_DIR}. */
  public static String envName(String option) {
    return "SHIMMY_PULL_"
        + option.substring(2).replace('-', '_').toUpperCase(java.util.Locale.ROOT);
  }
}
