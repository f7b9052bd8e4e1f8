package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.supervisor.internal.ShimmyProcess;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * How to run the Shimmy executable in isolation, shared by {@code serve} (the supervisor) and
 * {@code list --short} ({@link CliDiscoveryRunner}): the command, a private working directory that
 * is also {@code HOME}, and an environment without the variables that would add model roots Shimmy
 * scans ({@code SHIMMY_BASE_GGUF}, {@code SHIMMY_MODEL_PATHS}, {@code OLLAMA_MODELS}, {@code
 * SHIMMY_BIND_ADDRESS}, {@code USERPROFILE}), so Shimmy sees our model directory and nothing else
 * (shimmy-contract §4.3).
 */
public final class ShimmyLauncher {

  /** Variables removed from the child's environment by default. */
  public static final Set<String> DEFAULT_REMOVED_VARIABLES =
      Set.of(
          "SHIMMY_BASE_GGUF",
          "SHIMMY_LORA_GGUF",
          "SHIMMY_MODEL_PATHS",
          "OLLAMA_MODELS",
          "SHIMMY_BIND_ADDRESS",
          "USERPROFILE");

  /**
   * The watchdog wrapper: runs the command in the background, kills it when our end of its stdin
   * closes (our JVM died, even by SIGKILL), and exits with the command's exit status.
   */
  private static final String WATCHDOG_SCRIPT =
      "exec 3<&0\n"
          + "\"$@\" </dev/null &\n"
          + "child=$!\n"
          + "echo \""
          + ShimmyProcess.WATCHDOG_MARKER
          + "$child\" >&2\n"
          + "( while read -r _ <&3; do :; done; kill -TERM \"$child\" 2>/dev/null; sleep 5;"
          + " kill -KILL \"$child\" 2>/dev/null ) </dev/null >/dev/null 2>&1 &\n"
          + "guard=$!\n"
          + "exec 3<&-\n"
          + "trap 'kill -TERM \"$child\" 2>/dev/null' TERM INT HUP\n"
          + "while :; do\n"
          + "  wait \"$child\"; status=$?\n"
          + "  kill -0 \"$child\" 2>/dev/null || break\n"
          + "done\n"
          + "kill -TERM \"$guard\" 2>/dev/null\n"
          + "exit \"$status\"\n";

  private final List<String> command;
  private final Supplier<Map<String, String>> environment;
  private final Set<String> removedVariables;
  private final Map<String, String> extraVariables;
  private final @Nullable Path homeDirectory;

  private ShimmyLauncher(Builder b) {
    this.command = List.copyOf(b.command);
    this.environment = b.environment;
    this.removedVariables = Set.copyOf(b.removedVariables);
    this.extraVariables = Map.copyOf(b.extraVariables);
    this.homeDirectory = b.homeDirectory;
  }

  /** A launcher for {@code command} (executable plus optional leading arguments). */
  public static Builder newBuilder(List<String> command) {
    return new Builder(command);
  }

  /** A launcher for a command string split by {@link ShimmyCommand#parse}. */
  public static Builder newBuilder(String command) {
    return new Builder(ShimmyCommand.parse(command));
  }

  /** A builder holding this launcher's settings, to derive a variant. */
  public Builder newBuilder() {
    Builder b = new Builder(command);
    b.environment = environment;
    b.removedVariables.clear();
    b.removedVariables.addAll(removedVariables);
    b.extraVariables.putAll(extraVariables);
    b.homeDirectory = homeDirectory;
    return b;
  }

  /** The command: executable plus leading arguments. */
  public List<String> command() {
    return command;
  }

  /**
   * The private directory used as working directory and {@code HOME} for {@code modelDir}: the
   * configured one, else {@code <modelDir>/.shimmy-pull/home} (hidden, so Shimmy skips it).
   */
  public Path homeFor(Path modelDir) {
    return homeDirectory != null
        ? homeDirectory.toAbsolutePath()
        : modelDir.toAbsolutePath().resolve(".shimmy-pull").resolve("home");
  }

  /** The child's environment: the base one minus removed variables, plus HOME and extra ones. */
  public Map<String, String> environmentFor(Path modelDir) {
    Map<String, String> env = new HashMap<>(environment.get());
    env.keySet().removeAll(removedVariables);
    env.put("HOME", homeFor(modelDir).toString());
    env.putAll(extraVariables);
    return env;
  }

  /** The arguments that make Shimmy serve {@code modelDir} on {@code 127.0.0.1:port}. */
  public static List<String> serveArguments(int port, Path modelDir) {
    return List.of(
        "serve",
        "--bind",
        "127.0.0.1:" + port,
        "--model-dirs",
        modelDir.toAbsolutePath().toString());
  }

  /** The arguments that make Shimmy list the ids it would serve from {@code modelDir}. */
  public static List<String> listArguments(Path modelDir) {
    return List.of("list", "--short", "--model-dirs", modelDir.toAbsolutePath().toString());
  }

  /**
   * A process builder for {@code command + args} with the isolated environment and working
   * directory (created if missing). With {@code watchdog}, the command runs under a {@code /bin/sh}
   * wrapper that kills it when the parent JVM dies.
   */
  public ProcessBuilder processBuilder(Path modelDir, List<String> args, boolean watchdog) {
    Path home = homeFor(modelDir);
    try {
      Files.createDirectories(home);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Shimmy's home directory " + home, e);
    }
    List<String> full = new ArrayList<>();
    if (watchdog) {
      full.add("/bin/sh");
      full.add("-c");
      full.add(WATCHDOG_SCRIPT);
      full.add("shimmy-pull-watchdog");
    }
    full.addAll(command);
    full.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(full).directory(home.toFile());
    Map<String, String> env = pb.environment();
    env.clear();
    env.putAll(environmentFor(modelDir));
    return pb;
  }

  /** Whether the {@code /bin/sh} watchdog can be used on this machine. */
  public static boolean watchdogAvailable() {
    return !System.getProperty("os.name", "").toLowerCase().startsWith("windows")
        && Files.isExecutable(Paths.get("/bin/sh"));
  }

  /**
   * Why the executable cannot be run, or empty when it can: an executable with a {@code /} must be
   * an executable file; a bare name must be found on the child's {@code PATH}.
   */
  public Optional<String> executableProblem(Path modelDir) {
    String exe = command.get(0);
    if (exe.contains("/") || exe.contains(File.separator)) {
      Path p = Paths.get(exe);
      if (!p.isAbsolute()) {
        p = homeFor(modelDir).resolve(p);
      }
      if (!Files.isRegularFile(p)) {
        return Optional.of("Shimmy executable not found: " + exe);
      }
      if (!Files.isExecutable(p)) {
        return Optional.of("Shimmy executable is not executable: " + exe);
      }
      return Optional.empty();
    }
    String path = environmentFor(modelDir).getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Paths.get(dir, exe);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.empty();
      }
    }
    return Optional.of("Shimmy executable not found on PATH: " + exe);
  }

  /**
   * Whether Shimmy would skip {@code modelDir} because of its own name (a hidden name other than
   * {@code .cache}, {@code .ollama}, {@code .local}, or a system name such as {@code tmp} or {@code
   * opt}), so it would serve nothing from it (shimmy-contract §4.3).
   */
  public static boolean shimmySkipsDirectory(Path modelDir) {
    return ScanDiscoveryRunner.skippedByName(modelDir.toAbsolutePath().normalize());
  }

  /** Builds a {@link ShimmyLauncher}. */
  public static final class Builder {
    private List<String> command;
    private Supplier<Map<String, String>> environment = System::getenv;
    private final Set<String> removedVariables = new LinkedHashSet<>(DEFAULT_REMOVED_VARIABLES);
    private final Map<String, String> extraVariables = new HashMap<>();
    private @Nullable Path homeDirectory;

    private Builder(List<String> command) {
      this.command = Require.command(command);
    }

    /** The command: executable plus optional leading arguments. */
    public Builder command(List<String> command) {
      this.command = Require.command(command);
      return this;
    }

    /** The base environment (default: this JVM's), read again at every launch. */
    public Builder environment(Supplier<Map<String, String>> environment) {
      this.environment = environment;
      return this;
    }

    /** A fixed base environment instead of this JVM's. */
    public Builder environment(Map<String, String> environment) {
      Map<String, String> copy = Map.copyOf(environment);
      this.environment = () -> copy;
      return this;
    }

    /**
     * Replaces the set of variables removed from the base environment (default {@link
     * #DEFAULT_REMOVED_VARIABLES}).
     */
    public Builder removedVariables(Collection<String> names) {
      removedVariables.clear();
      removedVariables.addAll(names);
      return this;
    }

    /** Sets a variable in the child's environment (after removals; overrides HOME too). */
    public Builder putVariable(String name, String value) {
      extraVariables.put(name, value);
      return this;
    }

    /**
     * The working directory and HOME of the child (default {@code <modelDir>/.shimmy-pull/home}).
     */
    public Builder homeDirectory(Path homeDirectory) {
      this.homeDirectory = homeDirectory;
      return this;
    }

    /** The launcher. */
    public ShimmyLauncher build() {
      return new ShimmyLauncher(this);
    }
  }
}
