package io.github.shimmypull.examples.kubernetes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A Dockerfile split into build stages and instructions: enough structure to check paths, users and
 * commands without a Docker daemon (none is available in CI).
 */
final class Dockerfile {

  /** One instruction: its upper-case keyword and the rest of the (continuation-joined) line. */
  record Instruction(String keyword, String arguments) {

    /** The arguments split on whitespace. */
    List<String> words() {
      String trimmed = arguments.trim();
      return trimmed.isEmpty() ? List.of() : List.of(trimmed.split("\\s+"));
    }

    /** Whether the arguments are in exec (JSON array) form. */
    boolean execForm() {
      return arguments.trim().startsWith("[");
    }

    /** The exec-form arguments. */
    List<String> execArguments() {
      return Yamls.stringList(arguments.trim());
    }
  }

  /** One build stage, from its FROM to the next. */
  record Stage(String baseImage, @Nullable String name, List<Instruction> instructions) {

    List<Instruction> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    Optional<Instruction> last(String keyword) {
      List<Instruction> matching = all(keyword);
      return matching.isEmpty() ? Optional.empty() : Optional.of(matching.get(matching.size() - 1));
    }

    /** The stage's last WORKDIR, or "/" (Docker's default). */
    String workdir() {
      return last("WORKDIR").map(i -> i.arguments().trim()).orElse("/");
    }
  }

  private final List<Instruction> global;
  private final List<Stage> stages;

  private Dockerfile(List<Instruction> global, List<Stage> stages) {
    this.global = List.copyOf(global);
    this.stages = List.copyOf(stages);
  }

  static Dockerfile parse(String text) {
    List<Instruction> global = new ArrayList<>();
    List<Stage> stages = new ArrayList<>();
    List<Instruction> current = global;
    for (String line : logicalLines(text)) {
      int space = line.indexOf(' ');
      String keyword = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
      String arguments = space < 0 ? "" : line.substring(space + 1).trim();
      if (keyword.equals("FROM")) {
        List<String> words = List.of(arguments.split("\\s+"));
        String base = words.stream().filter(w -> !w.startsWith("--")).findFirst().orElse("");
        int as = indexOfIgnoreCase(words, "AS");
        current = new ArrayList<>();
        stages.add(
            new Stage(base, as >= 0 && as + 1 < words.size() ? words.get(as + 1) : null, current));
      } else {
        current.add(new Instruction(keyword, arguments));
      }
    }
    return new Dockerfile(global, stages);
  }

  /** ARG instructions before the first FROM. */
  List<Instruction> globalInstructions() {
    return global;
  }

  List<Stage> stages() {
    return stages;
  }

  Stage finalStage() {
    if (stages.isEmpty()) {
      throw new IllegalStateException("the Dockerfile has no FROM");
    }
    return stages.get(stages.size() - 1);
  }

  Optional<Stage> stage(String name) {
    return stages.stream().filter(s -> name.equals(s.name())).findFirst();
  }

  /** Every instruction of every stage, in order. */
  List<Instruction> allInstructions() {
    List<Instruction> all = new ArrayList<>(global);
    stages.forEach(s -> all.addAll(s.instructions()));
    return all;
  }

  /** Lines with comments and blank lines dropped and backslash continuations joined. */
  private static List<String> logicalLines(String text) {
    List<String> lines = new ArrayList<>();
    StringBuilder pending = new StringBuilder();
    for (String raw : text.split("\\R")) {
      String line = raw.strip();
      if (line.startsWith("#") || (line.isEmpty() && pending.isEmpty())) {
        continue;
      }
      if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      pending.append(line);
      String joined = pending.toString().strip();
      pending.setLength(0);
      if (!joined.isEmpty()) {
        lines.add(joined);
      }
    }
    if (!pending.isEmpty()) {
      lines.add(pending.toString().strip());
    }
    return lines;
  }

  private static int indexOfIgnoreCase(List<String> words, String word) {
    for (int i = 0; i < words.size(); i++) {
      if (words.get(i).equalsIgnoreCase(word)) {
        return i;
      }
    }
    return -1;
  }
}
