package io.github.shimmypull.core.discovery;

import io.github.shimmypull.core.ShimmyModelIds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tells which ids Shimmy 2.5.0 will serve from a {@code --model-dirs} root by applying its scan and
 * naming rules in Java (shimmy-contract §4.1–4.3), without running Shimmy: recursion to depth 3,
 * skipped directory names (the root's own name included), which {@code .gguf}, {@code .safetensors}
 * and {@code .bin} files count, split-model grouping (two or more shards make one id, a lone shard
 * is dropped) and collisions (the path that sorts last wins).
 *
 * <p>It sees only the given root: the supervisor isolates Shimmy from {@code ./models}, {@code
 * HOME} caches and the environment variables that would add other roots.
 */
public final class ScanDiscoveryRunner implements DiscoveryRunner {

  /** Directories deeper than this (root = 0) are not scanned. */
  static final int MAX_DEPTH = 3;

  private static final Set<String> ALLOWED_HIDDEN = Set.of(".cache", ".ollama", ".local");
  private static final Set<String> SKIPPED_NAMES =
      Set.of(
          "Library",
          "Applications",
          "System",
          "Developer",
          "usr",
          "var",
          "tmp",
          "private",
          "Volumes",
          "cores",
          "dev",
          "etc",
          "home",
          "net",
          "proc",
          "opt",
          "sbin",
          "bin");
  private static final Pattern SPLIT = Pattern.compile("^(.+)-[0-9]{5}-of-[0-9]{5}(\\..+)$");
  private static final String[] LLM_HINTS = {"llama", "phi", "mistral", "qwen", "gemma"};
  private static final String[] BIN_EXCLUDES = {
    "target\\",
    "target/",
    "cmake",
    "incremental",
    "work-products",
    "dep-graph",
    "query-cache",
    "ompver",
    "whisper",
    "wav2vec",
    "pytorch_model"
  };

  /** Creates a runner; it holds no state. */
  public ScanDiscoveryRunner() {}

  @Override
  public List<DiscoveredModel> discover(Path modelDir) {
    if (!Files.isDirectory(modelDir)) {
      if (Files.exists(modelDir)) {
        throw new UncheckedIOException(
            new IOException("model directory is not a directory: " + modelDir));
      }
      return List.of();
    }
    List<Candidate> candidates = new ArrayList<>();
    walk(modelDir, 0, candidates);
    candidates.sort(Comparator.comparing(Candidate::path, ScanDiscoveryRunner::pathOrder));
    Map<String, Candidate> byId = new HashMap<>();
    Path previous = null;
    for (Candidate c : candidates) {
      if (c.path().equals(previous)) {
        continue;
      }
      previous = c.path();
      byId.put(c.id(), c);
    }
    TreeMap<String, DiscoveredModel> sorted = new TreeMap<>(ScanDiscoveryRunner::utf8Order);
    for (Candidate c : byId.values()) {
      List<Path> files = new ArrayList<>();
      for (Path f : c.files()) {
        files.add(f.toAbsolutePath());
      }
      sorted.put(c.id(), new DiscoveredModel(c.id(), files, c.size()));
    }
    return List.copyOf(sorted.values());
  }

  private record Candidate(String id, Path path, List<Path> files, long size) {}

  private static void walk(Path dir, int depth, List<Candidate> out) {
    if (depth > MAX_DEPTH || skippedByName(dir)) {
      return;
    }
    List<Path> modelFiles = new ArrayList<>();
    List<Path> subdirs = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path child : stream) {
        if (Files.isDirectory(child)) {
          subdirs.add(child);
        } else if (countsAsModel(child)) {
          modelFiles.add(child);
        }
      }
    } catch (IOException e) {
      if (depth == 0) {
        throw new UncheckedIOException("cannot read model directory " + dir, e);
      }
      return;
    }
    for (Path sub : subdirs) {
      if (descendInto(sub)) {
        walk(sub, depth + 1, out);
      }
    }
    collect(modelFiles, out);
  }

  /**
   * Whether Shimmy's scan skips {@code dir} for its name alone: a hidden name other than {@code
   * .cache}, {@code .ollama}, {@code .local}, or a system name such as {@code tmp} or {@code opt}
   * (shimmy-contract §4.3).
   */
  public static boolean skippedByName(Path dir) {
    Path name = dir.getFileName();
    if (name == null) {
      return false;
    }
    String n = name.toString();
    return SKIPPED_NAMES.contains(n) || (n.startsWith(".") && !ALLOWED_HIDDEN.contains(n));
  }

  private static boolean descendInto(Path sub) {
    String lower = sub.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean buildOrNonLlm =
        lower.equals("target")
            || lower.equals("cmake")
            || lower.equals("incremental")
            || lower.startsWith(".git")
            || lower.contains("whisper")
            || lower.contains("wav2vec")
            || lower.contains("bert")
            || lower.contains("clip");
    if (buildOrNonLlm) {
      return false;
    }
    String full = sub.toString();
    if (!full.contains("huggingface")) {
      return true;
    }
    String fullLower = full.toLowerCase(Locale.ROOT);
    return hasAny(fullLower, LLM_HINTS) || fullLower.contains("gguf");
  }

  /** Shimmy's model-file test (§4.2), on the path as scanned. */
  static boolean countsAsModel(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    if (dot < 1) {
      return false;
    }
    String extension = name.substring(dot + 1).toLowerCase(Locale.ROOT);
    String path = file.toString().toLowerCase(Locale.ROOT);
    if (extension.equals("gguf")) {
      return true;
    }
    if (extension.equals("safetensors")) {
      return !path.contains("tokenizer") && !path.contains("config");
    }
    if (extension.equals("bin")) {
      if (hasAny(path, BIN_EXCLUDES)) {
        return false;
      }
      boolean looksLikeLlm = path.contains("model") || hasAny(path, LLM_HINTS);
      return looksLikeLlm && !path.contains("config") && !path.contains("tokenizer");
    }
    return false;
  }

  private static void collect(List<Path> modelFiles, List<Candidate> out) {
    Map<String, List<Path>> splitGroups = new HashMap<>();
    for (Path file : modelFiles) {
      Matcher m = SPLIT.matcher(file.getFileName().toString());
      if (m.matches()) {
        splitGroups.computeIfAbsent(m.group(1) + m.group(2), k -> new ArrayList<>()).add(file);
        continue;
      }
      long size = sizeOf(file);
      if (size >= 0) {
        out.add(
            new Candidate(
                ShimmyModelIds.idForFile(file.getFileName().toString()),
                file,
                List.of(file),
                size));
      }
    }
    for (Map.Entry<String, List<Path>> group : splitGroups.entrySet()) {
      List<Path> shards = group.getValue();
      if (shards.size() < 2) {
        continue;
      }
      shards.sort(ScanDiscoveryRunner::pathOrder);
      if (sizeOf(shards.get(0)) < 0) {
        continue;
      }
      long total = 0;
      for (Path shard : shards) {
        total += Math.max(0, sizeOf(shard));
      }
      String key = group.getKey();
      String id = ShimmyModelIds.normalise(key.substring(0, key.lastIndexOf('.')));
      out.add(new Candidate(id, shards.get(0), List.copyOf(shards), total));
    }
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return -1;
    }
  }

  /** Rust's {@code Path} order: component by component, each compared as UTF-8 bytes. */
  static int pathOrder(Path a, Path b) {
    int n = Math.min(a.getNameCount(), b.getNameCount());
    if (a.isAbsolute() != b.isAbsolute()) {
      return a.isAbsolute() ? -1 : 1;
    }
    for (int i = 0; i < n; i++) {
      int c = utf8Order(a.getName(i).toString(), b.getName(i).toString());
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.getNameCount(), b.getNameCount());
  }

  static int utf8Order(String a, String b) {
    return java.util.Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean hasAny(String text, String[] needles) {
    for (String needle : needles) {
      if (text.contains(needle)) {
        return true;
      }
    }
    return false;
  }
}
