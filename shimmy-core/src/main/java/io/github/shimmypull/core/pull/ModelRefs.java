package io.github.shimmypull.core.pull;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Parsing and validation behind {@link ModelRef}: every rejected part of a reference gets its own
 * INVALID_REQUEST message, so users see what to fix.
 */
final class ModelRefs {

  /**
   * One part of a repository id: Hugging Face's rule (letters, digits, {@code . _ -}, at most 96).
   */
  private static final Pattern REPO_PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");

  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private static final Pattern REVISION_CHARS = Pattern.compile("[A-Za-z0-9._/+-]+");

  private static final String[] PREFIXES = {
    "https://huggingface.co/",
    "http://huggingface.co/",
    "https://hf.co/",
    "http://hf.co/",
    "huggingface.co/",
    "hf.co/"
  };

  private static final int MAX_REF = 1024;

  private ModelRefs() {}

  static ModelRef parse(String ref, @Nullable String file, @Nullable String revision) {
    if (ref == null || ref.isBlank()) {
      throw invalid("model reference is empty");
    }
    if (ref.length() > MAX_REF) {
      throw invalid("model reference is longer than " + MAX_REF + " characters");
    }
    String rest = ref.strip();
    for (String prefix : PREFIXES) {
      if (rest.regionMatches(true, 0, prefix, 0, prefix.length())) {
        rest = rest.substring(prefix.length());
        break;
      }
    }
    if (rest.contains("://")) {
      throw invalid(
          "unsupported model reference '"
              + ref
              + "': only huggingface.co and hf.co URLs are accepted");
    }
    String refRevision = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      refRevision = rest.substring(at + 1);
      rest = rest.substring(0, at);
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (tag.isEmpty()) {
        throw invalid("quant tag after ':' is empty in '" + ref + "'");
      }
    }
    while (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    String[] segments = rest.split("/", -1);
    if (segments.length < 2) {
      throw invalid("invalid repository id '" + rest + "': expected owner/repo");
    }
    String repo = segments[0] + "/" + segments[1];
    String refFile = null;
    if (segments.length > 2) {
      int from = 2;
      if (segments.length > 4 && (segments[2].equals("resolve") || segments[2].equals("blob"))) {
        refRevision = merge("revision", refRevision, segments[3]);
        from = 4;
      } else if (segments[2].equals("tree") && segments.length == 4) {
        refRevision = merge("revision", refRevision, segments[3]);
        from = 4;
      }
      if (from < segments.length) {
        refFile = String.join("/", java.util.Arrays.copyOfRange(segments, from, segments.length));
      }
    }
    String finalFile = merge("file", refFile, blankToNull(file));
    String finalRevision = merge("revision", refRevision, blankToNull(revision));
    if (finalFile != null && tag != null) {
      throw invalid("give either a quant tag (':" + tag + "') or a file name, not both");
    }
    return new ModelRef(repo, tag, finalFile, finalRevision);
  }

  static void validate(
      String repo, @Nullable String tag, @Nullable String file, @Nullable String revision) {
    validateRepo(repo);
    if (tag != null) {
      validateTag(tag);
    }
    if (file != null) {
      validateFile(file);
    }
    if (revision != null) {
      validateRevision(revision);
    }
    if (tag != null && file != null) {
      throw invalid("give either a quant tag or a file name, not both");
    }
  }

  static void validateRepo(String repo) {
    if (repo == null || repo.isEmpty()) {
      throw invalid("repository id is empty: expected owner/repo");
    }
    String[] parts = repo.split("/", -1);
    if (parts.length != 2) {
      throw invalid("invalid repository id '" + repo + "': expected exactly one '/' (owner/repo)");
    }
    for (String part : parts) {
      if (part.isEmpty()) {
        throw invalid("invalid repository id '" + repo + "': owner and name must not be empty");
      }
      if (part.contains("..") || part.contains("--")) {
        throw invalid("invalid repository id '" + repo + "': '..' and '--' are not allowed");
      }
      if (!REPO_PART.matcher(part).matches()) {
        throw invalid(
            "invalid repository id '"
                + repo
                + "': owner and name take letters, digits, '.', '_' and '-' (at most 96 each),"
                + " starting with a letter or digit");
      }
      if (part.endsWith(".") || part.endsWith("-")) {
        throw invalid("invalid repository id '" + repo + "': a part must not end with '.' or '-'");
      }
    }
    if (parts[1].toLowerCase(Locale.ROOT).endsWith(".git")) {
      throw invalid("invalid repository id '" + repo + "': must not end with .git");
    }
  }

  static void validateTag(String tag) {
    if (!TAG.matcher(tag).matches()) {
      throw invalid(
          "invalid quant tag '"
              + printable(tag)
              + "': letters, digits, '.', '_' and '-' only (e.g. Q4_K_M), at most 64");
    }
  }

  static void validateFile(String file) {
    if (file.isEmpty()) {
      throw invalid("file name is empty");
    }
    if (file.length() > 1024) {
      throw invalid("file name is longer than 1024 characters");
    }
    if (hasControl(file)) {
      throw invalid(
          "invalid file name '" + printable(file) + "': control characters are not allowed");
    }
    if (file.indexOf('\\') >= 0) {
      throw invalid("invalid file name '" + file + "': backslashes are not allowed, use '/'");
    }
    if (file.startsWith("/")) {
      throw invalid(
          "invalid file name '" + file + "': must be relative to the repository (no leading '/')");
    }
    for (String segment : file.split("/", -1)) {
      if (segment.isEmpty()) {
        throw invalid("invalid file name '" + file + "': empty path segment");
      }
      if (segment.equals("..") || segment.equals(".")) {
        throw invalid(
            "invalid file name '" + file + "': '" + segment + "' segments are not allowed");
      }
      if (segment.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
        throw invalid(
            "invalid file name '"
                + file
                + "': a path segment is longer than 255 bytes (the file system limit)");
      }
    }
    String local = file.substring(file.lastIndexOf('/') + 1);
    if (local.startsWith(".")) {
      throw invalid("invalid file name '" + file + "': the file name must not start with '.'");
    }
    if (!local.toLowerCase(Locale.ROOT).endsWith(".gguf") || local.length() <= ".gguf".length()) {
      throw invalid(
          "invalid file name '" + file + "': only GGUF model files (*.gguf) can be pulled");
    }
  }

  static void validateRevision(String revision) {
    if (revision.isEmpty()) {
      throw invalid("revision is empty");
    }
    if (revision.length() > 255) {
      throw invalid("revision is longer than 255 characters");
    }
    if (hasControl(revision)) {
      throw invalid(
          "invalid revision '" + printable(revision) + "': control characters are not allowed");
    }
    if (revision.indexOf(' ') >= 0) {
      throw invalid("invalid revision '" + revision + "': spaces are not allowed");
    }
    if (revision.contains("..")) {
      throw invalid("invalid revision '" + revision + "': '..' is not allowed");
    }
    if (revision.startsWith("/") || revision.endsWith("/") || revision.contains("//")) {
      throw invalid("invalid revision '" + revision + "': no leading, trailing or double '/'");
    }
    if (revision.startsWith("-") || revision.startsWith(".")) {
      throw invalid("invalid revision '" + revision + "': must not start with '-' or '.'");
    }
    if (!REVISION_CHARS.matcher(revision).matches()) {
      throw invalid(
          "invalid revision '"
              + revision
              + "': expected a branch, tag or 40-hex commit (letters, digits, '.', '_', '-', '+', '/')");
    }
  }

  private static @Nullable String merge(
      String what, @Nullable String fromRef, @Nullable String given) {
    if (fromRef == null) {
      return given;
    }
    if (given != null && !given.equals(fromRef)) {
      throw invalid(
          "the reference names " + what + " '" + fromRef + "' but '" + given + "' was given too");
    }
    return fromRef;
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static boolean hasControl(String s) {
    return s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    s.chars()
        .forEach(
            c ->
                sb.append(
                    c < 0x20 || c == 0x7f
                        ? String.format("\\u%04x", c)
                        : String.valueOf((char) c)));
    return sb.toString();
  }

  private static PullException invalid(String message) {
    return new PullException(Reason.INVALID_REQUEST, message);
  }
}
