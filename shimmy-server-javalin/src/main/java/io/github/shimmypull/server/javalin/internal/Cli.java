package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.PullException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;

/**
 * The command line of the server jar: {@code serve} (default), {@code pull}, {@code list}, with
 * environment-variable defaults, exit codes 0/1/2 and one {@code error: ...} line on failure.
 */
public final class Cli {

  private static final Set<String> COMMANDS = Set.of("serve", "pull", "list", "help");
  private static final Set<String> ROOT_OPTIONS = Set.of("-h", "--help", "-V", "--version");

  private Cli() {}

  /**
   * Runs one command to its end ({@code serve} runs until the server is stopped).
   *
   * @return the exit code: 0 success, 1 failure, 2 usage error
   */
  public static int execute(
      String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    String[] effective = withDefaultCommand(args);
    CommandLine cli = commandLine(env, out, err, effective.length != args.length);
    return cli.execute(effective);
  }

  /** Parses {@code serve} options (without the command name) against {@code env}. */
  public static ServeCommand parseServe(Map<String, String> env, String... args) {
    ServeCommand serve = new ServeCommand();
    serve.environment = Map.copyOf(env);
    CommandLine cli = new CommandLine(serve);
    cli.setDefaultValueProvider(new EnvDefaults(env));
    cli.parseArgs(args);
    return serve;
  }

  static String[] withDefaultCommand(String[] args) {
    if (args.length > 0 && (COMMANDS.contains(args[0]) || ROOT_OPTIONS.contains(args[0]))) {
      return args;
    }
    String[] effective = new String[args.length + 1];
    effective[0] = "serve";
    System.arraycopy(args, 0, effective, 1, args.length);
    return effective;
  }

  /**
   * slf4j-simple reads its settings once, at the first logger: {@code serve} logs at info to
   * stderr; {@code pull} and {@code list} are silent unless {@code --verbose}. Settings given with
   * {@code -D} win. Call before anything logs (the server jar's main does).
   */
  public static void configureLogging(String[] rawArgs) {
    String[] args = withDefaultCommand(rawArgs);
    List<String> list = Arrays.asList(args);
    boolean quiet = !args[0].equals("serve") && !list.contains("--verbose");
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", quiet ? "off" : "info");
    setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
    setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
    setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
    setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    setIfAbsent("org.slf4j.simpleLogger.log.org.eclipse.jetty", quiet ? "off" : "warn");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private static CommandLine commandLine(
      Map<String, String> env, PrintStream out, PrintStream err, boolean implicitServe) {
    CommandLine cli = new CommandLine(new RootCommand());
    ServeCommand serve = new ServeCommand();
    serve.environment = Map.copyOf(env);
    cli.addSubcommand("serve", serve);
    cli.addSubcommand("pull", new PullCommand(out, err));
    cli.addSubcommand("list", new ListCommand(out));
    cli.addSubcommand("help", new CommandLine.HelpCommand());
    cli.setDefaultValueProvider(new EnvDefaults(env));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    cli.setParameterExceptionHandler(
        new UsageErrors(List.of("serve", "pull", "list", "help"), implicitServe));
    cli.getCommandSpec().usageMessage().footer(RootCommand.footer());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          err.println("error: " + message(e));
          CommandLine.ParseResult own = commandLine.getParseResult();
          if (own != null && own.hasMatchedOption("--verbose")) {
            e.printStackTrace(err);
          }
          err.flush();
          return 1;
        });
    return cli;
  }

  /** One line saying what failed, without class names or stack traces. */
  static String message(Throwable e) {
    Throwable t = e;
    if (!(t instanceof PullException) && t.getCause() instanceof PullException cause) {
      t = cause;
    }
    String text = t.getMessage();
    if (text == null || text.isBlank()) {
      text = t.getClass().getSimpleName();
    }
    return text.replace('\n', ' ').replace('\r', ' ');
  }
}
