package io.github.shimmypull.examples.kubernetes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Checks of the arguments given to the server jar ({@code serve ...} or {@code pull REF ...}). */
final class ServerArgs {

  private ServerArgs() {}

  /** What is wrong with the arguments; empty when they only use documented options correctly. */
  static List<String> violations(List<String> args, String where) {
    List<String> violations = new ArrayList<>();
    if (args.isEmpty()) {
      violations.add(where + ": no command given to the server jar");
      return violations;
    }
    String command = args.get(0);
    Map<String, Boolean> options;
    int first;
    if (command.equals("serve")) {
      options = ServerInterface.SERVE_OPTIONS;
      first = 1;
    } else if (command.equals("pull")) {
      options = ServerInterface.PULL_OPTIONS;
      if (args.size() < 2 || args.get(1).startsWith("-")) {
        violations.add(where + ": pull needs a model reference right after the command");
        return violations;
      }
      if (!ServerInterface.isModelRef(args.get(1))) {
        violations.add(
            where + ": '" + args.get(1) + "' is not a valid model reference (owner/repo[:TAG])");
      }
      first = 2;
    } else {
      violations.add(where + ": unknown command '" + command + "' (expected serve or pull)");
      return violations;
    }
    for (int i = first; i < args.size(); i++) {
      String arg = args.get(i);
      String option = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
      Boolean takesValue = options.get(option);
      if (takesValue == null) {
        violations.add(where + ": option '" + option + "' does not exist for " + command);
        continue;
      }
      if (ServerInterface.SECRET_OPTIONS.contains(option)) {
        violations.add(
            where
                + ": "
                + option
                + " puts a secret on the command line; use its environment variable from a Secret");
      }
      if (!takesValue || arg.contains("=")) {
        continue;
      }
      if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
        violations.add(where + ": option " + option + " needs a value");
        continue;
      }
      String value = args.get(++i);
      if (option.equals("--restart-mode") && !ServerInterface.RESTART_MODES.contains(value)) {
        violations.add(
            where
                + ": --restart-mode '"
                + value
                + "' is not one of "
                + ServerInterface.RESTART_MODES);
      }
      if (option.equals("--pull") && !ServerInterface.isModelRef(value)) {
        violations.add(where + ": --pull '" + value + "' is not a valid model reference");
      }
      if (option.equals("--port") && !value.matches("\\d{1,5}")) {
        violations.add(where + ": --port '" + value + "' is not a port number");
      }
    }
    return violations;
  }

  /** The value of an option ({@code --name value} or {@code --name=value}), if given. */
  static Optional<String> option(List<String> args, String name) {
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals(name) && i + 1 < args.size()) {
        return Optional.of(args.get(i + 1));
      }
      if (arg.startsWith(name + "=")) {
        return Optional.of(arg.substring(name.length() + 1));
      }
    }
    return Optional.empty();
  }
}
