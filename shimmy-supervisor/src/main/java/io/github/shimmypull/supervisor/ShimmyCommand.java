package io.github.shimmypull.supervisor;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a "shimmy command" string (an executable plus optional leading arguments) into words the
 * way a POSIX shell would, without any expansion: whitespace separates words, single quotes keep
 * everything literally, double quotes keep everything except {@code \\}, {@code \"}, {@code \$},
 * {@code \`} and backslash-newline escapes, and a backslash outside quotes escapes the next
 * character. {@code $VAR}, {@code ~} and globs stay as they are.
 */
public final class ShimmyCommand {

  private ShimmyCommand() {}

  /**
   * Splits {@code command} into words.
   *
   * @throws IllegalArgumentException on an unbalanced quote, a trailing backslash, or no word at
   *     all
   */
  public static List<String> parse(String command) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    int i = 0;
    int n = command.length();
    while (i < n) {
      char c = command.charAt(i);
      if (c == '\'') {
        int end = command.indexOf('\'', i + 1);
        if (end < 0) {
          throw new IllegalArgumentException("unbalanced single quote in command: " + command);
        }
        word.append(command, i + 1, end);
        inWord = true;
        i = end + 1;
      } else if (c == '"') {
        i = doubleQuoted(command, i + 1, word);
        inWord = true;
      } else if (c == '\\') {
        if (i + 1 >= n) {
          throw new IllegalArgumentException("trailing backslash in command: " + command);
        }
        char next = command.charAt(i + 1);
        if (next != '\n') {
          word.append(next);
          inWord = true;
        }
        i += 2;
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
        i++;
      } else {
        word.append(c);
        inWord = true;
        i++;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    if (words.isEmpty()) {
      throw new IllegalArgumentException("the shimmy command is empty");
    }
    return List.copyOf(words);
  }

  /**
   * Reads a double-quoted part starting after the opening quote; returns the index after the
   * closing one.
   */
  private static int doubleQuoted(String command, int start, StringBuilder word) {
    int i = start;
    while (i < command.length()) {
      char c = command.charAt(i);
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\' && i + 1 < command.length()) {
        char next = command.charAt(i + 1);
        if (next == '\\' || next == '"' || next == '$' || next == '`') {
          word.append(next);
          i += 2;
          continue;
        }
        if (next == '\n') {
          i += 2;
          continue;
        }
      }
      word.append(c);
      i++;
    }
    throw new IllegalArgumentException("unbalanced double quote in command: " + command);
  }

  /** Quotes words so that {@link #parse} (or a POSIX shell) gives them back unchanged. */
  public static String format(List<String> words) {
    StringBuilder sb = new StringBuilder();
    for (String w : words) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      if (!w.isEmpty()
          && w.chars()
              .allMatch(ch -> Character.isLetterOrDigit(ch) || "-_./:=@%+,".indexOf(ch) >= 0)) {
        sb.append(w);
      } else {
        sb.append('\'').append(w.replace("'", "'\\''")).append('\'');
      }
    }
    return sb.toString();
  }
}
