package io.github.shimmypull.server.javalin.internal;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Usage errors on stderr, exit 2: what was wrong ({@code Unknown option: '--prot'}), a suggestion
 * only when one is close ({@code Did you mean '--port'?}, {@code Did you mean 'pull'?}: an edit
 * distance of at most 2), then the usage of the command at fault, short (its synopsis), instead of
 * picocli's own suggestions, which pick any option sharing a prefix ({@code --prot} gave {@code
 * --proxy-engine}), and its full help.
 */
final class UsageErrors implements CommandLine.IParameterExceptionHandler {

  private final Collection<String> commands;
  private final boolean implicitServe;

  /**
   * @param commands the top-level commands, suggested for an unknown first word
   * @param implicitServe whether {@code serve} was put in front of the arguments (the first word
   *     was no command): an unmatched first argument of {@code serve} is then a mistyped command
   */
  UsageErrors(Collection<String> commands, boolean implicitServe) {
    this.commands = List.copyOf(commands);
    this.implicitServe = implicitServe;
  }

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine command = ex.getCommandLine();
    PrintWriter err = command.getErr();
    CommandLine shown = command;
    if (ex instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
      String first = unmatched.getUnmatched().get(0);
      if (first.startsWith("-")) {
        err.println("error: Unknown option: '" + first + "'");
        List<String> names = new ArrayList<>();
        for (OptionSpec option : command.getCommandSpec().options()) {
          names.addAll(List.of(option.names()));
        }
        String name = first.contains("=") ? first.substring(0, first.indexOf('=')) : first;
        suggest(err, name, names);
      } else {
        boolean mistypedCommand =
            implicitServe
                && command.getParent() != null
                && args.length > 1
                && first.equals(args[1]);
        err.println(
            "error: Unknown " + (mistypedCommand ? "command" : "argument") + ": '" + first + "'");
        if (mistypedCommand) {
          suggest(err, first, commands);
          shown = command.getParent();
        }
      }
    } else {
      err.println("error: " + ex.getMessage());
    }
    err.print("Usage: " + shown.getHelp().synopsis("Usage: ".length()));
    if (shown.getParent() == null && !shown.getSubcommands().isEmpty()) {
      err.print(shown.getHelp().commandList());
    }
    err.println("Run with --help for every option.");
    err.flush();
    return 2;
  }

  private static void suggest(PrintWriter err, String given, Collection<String> candidates) {
    String best = closest(given, candidates);
    if (best != null) {
      err.println("Did you mean '" + best + "'?");
    }
  }

  /** The candidate within an edit distance of 2 (adjacent swaps count 1), or null. */
  static @Nullable String closest(String given, Collection<String> candidates) {
    String best = null;
    int bestDistance = 3;
    for (String candidate : candidates) {
      int distance = distance(given, candidate);
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** Optimal string alignment distance. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
