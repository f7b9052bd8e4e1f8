package io.github.shimmypull.server.javalin.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
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
    synopsisSubcommandLabel = "[COMMAND]")
public final class RootCommand implements Runnable {

  /**
   * The help's footer: every environment variable, from {@link EnvDefaults#VARIABLES} so that an
   * option added there is listed here too, then the exit codes.
   */
  static String[] footer() {
    List<String> lines = new ArrayList<>();
    lines.add("");
    lines.add("Environment variables (an option on the command line wins):");
    new TreeMap<>(EnvDefaults.VARIABLES)
        .forEach(
            (option, variables) -> {
              String also =
                  variables.size() > 1
                      ? " (then "
                          + String.join(", then ", variables.subList(1, variables.size()))
                          + ")"
                      : "";
              lines.add(String.format(Locale.ROOT, "  %-29s %s%s", variables.get(0), option, also));
            });
    lines.add("Exit codes: 0 success, 1 failure (one 'error: ...' line on stderr), 2 usage error.");
    return lines.toArray(String[]::new);
  }

  @Override
  public void run() {
    throw new IllegalStateException("the root command always dispatches to a subcommand");
  }
}
