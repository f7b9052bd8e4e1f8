package io.github.shimmypull.testkit.internal.shimmy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Shimmy 2.5.0's model scan as seen from outside (shimmy-contract §4): the roots it looks at, the
 * directories it skips, which files count as models, shard grouping and the file-name-to-id rule.
 * Written independently of shimmy-core's scanner so that tests comparing the two mean something.
 */
public final class ModelScan {

  /** One discovered entry, before name collisions are resolved. */
  public record Found(String name, Path path, long sizeBytes, @Nullable Path loraPath) {}

  private static final int MAX_DEPTH = 4;
  private static final Set<String> HIDDEN_ALLOWED = Set.of(".cache", ".ollama", ".local");
  private static final Set<String> SYSTEM_DIRS =
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
  private static final Pattern SHARD = Pattern.compile("^(.+)-\\d{5}-of-\\d{5}(\\..+)$");
  private static final List<String> LLM_WORDS = List.of("llama", "phi", "mistral", "qwen", "gemma");

  private ModelScan() {}

  /**
   * The scan roots in Shimmy's order for the given environment (cwd-relative {@code ./models}
   * first).
   */
  public static List<Path> roots(Map<String, String> env) {
    List<Path> roots = new ArrayList<>();
    roots.add(Paths.get("./models"));
    String base = env.get("SHIMMY_BASE_GGUF");
    if (base != null) {
      Path parent = Paths.get(base).getParent();
      if (parent != null) {
        roots.add(parent);
      }
    }
    String custom = env.get("SHIMMY_MODEL_PATHS");
    if (custom != null) {
      for (String part : custom.split(";")) {
        if (!part.isEmpty()) {
          roots.add(Paths.get(part));
        }
      }
    }
    String ollama = env.get("OLLAMA_MODELS");
    if (ollama != null) {
      roots.add(Paths.get(ollama));
    }
    String home = env.get("HOME");
    if (home != null) {
      for (String sub :
          List.of(
              ".cache/huggingface/hub",
              ".ollama/models",
              ".lmstudio/models",
              ".cache/lm-studio/models",
              "models",
              ".local/share/shimmy/models")) {
        roots.add(Paths.get(home, sub));
      }
    }
    String profile = env.get("USERPROFILE");
    if (profile != null) {
      for (String sub :
          List.of(
              ".cache\\huggingface\\hub",
              ".ollama\\models",
              ".lmstudio\\models",
              ".cache\\lm-studio\\models",
              "AppData\\Roaming\\LM Studio\\models",
              "models",
              "AppData\\Local\\shimmy\\models",
              "Downloads")) {
        roots.add(Paths.get(profile, sub));
      }
    }
    return roots;
  }

  /** Scans all roots; the result is sorted by path with exact duplicate paths removed. */
  public static List<Found> scan(List<Path> roots) {
    List<Found> all = new ArrayList<>();
    for (Path root : roots) {
      if (Files.isDirectory(root)) {
        scanDir(root, 0, all);
      }
    }
    all.sort((a, b) -> comparePaths(a.path(), b.path()));
    List<Found> unique = new ArrayList<>();
    for (Found f : all) {
      if (unique.isEmpty() || !unique.get(unique.size() - 1).path().equals(f.path())) {
        unique.add(f);
      }
    }
    return unique;
  }

  /** Puts scan results in a map by id: for equal ids the entry scanned (sorted) last wins. */
  public static Map<String, Found> byName(List<Found> found) {
    Map<String, Found> map = new TreeMap<>(ModelScan::compareBytes);
    for (Found f : found) {
      map.put(f.name(), f);
    }
    return map;
  }

  /** Byte-wise (UTF-8) comparison, the order Rust sorts strings in. */
  public static int compareBytes(String a, String b) {
    byte[] x = a.getBytes(StandardCharsets.UTF_8);
    byte[] y = b.getBytes(StandardCharsets.UTF_8);
    int n = Math.min(x.length, y.length);
    for (int i = 0; i < n; i++) {
      int c = Integer.compare(x[i] & 0xff, y[i] & 0xff);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.length, y.length);
  }

  private static int comparePaths(Path a, Path b) {
    if (a.isAbsolute() != b.isAbsolute()) {
      return a.isAbsolute() ? -1 : 1;
    }
    Iterator<Path> ia = a.iterator();
    Iterator<Path> ib = b.iterator();
    while (ia.hasNext() && ib.hasNext()) {
      int c = compareBytes(ia.next().toString(), ib.next().toString());
      if (c != 0) {
        return c;
      }
    }
    return Boolean.compare(ia.hasNext(), ib.hasNext());
  }

  private static void scanDir(Path dir, int depth, List<Found> out) {
    if (depth >= MAX_DEPTH) {
      return;
    }
    Path fileName = dir.getFileName();
    if (fileName != null) {
      String name = fileName.toString();
      if ((name.startsWith(".") && !HIDDEN_ALLOWED.contains(name)) || SYSTEM_DIRS.contains(name)) {
        return;
      }
    }
    List<Path> modelFiles = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        if (Files.isDirectory(entry)) {
          if (skipSubdirectory(entry)) {
            continue;
          }
          scanDir(entry, depth + 1, out);
        } else if (isModelFile(entry)) {
          modelFiles.add(entry);
        }
      }
    } catch (IOException | RuntimeException e) {
      return;
    }
    groupShards(modelFiles, out);
  }

  private static boolean skipSubdirectory(Path dir) {
    String name = dir.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.equals("target")
        || name.equals("cmake")
        || name.equals("incremental")
        || name.startsWith(".git")
        || name.contains("whisper")
        || name.contains("wav2vec")
        || name.contains("bert")
        || name.contains("clip")) {
      return true;
    }
    String full = dir.toString();
    if (full.contains("huggingface")) {
      String lower = full.toLowerCase(Locale.ROOT);
      return !(containsAny(lower, LLM_WORDS) || lower.contains("gguf"));
    }
    return false;
  }

  /** Whether Shimmy counts this path as a model file (§4.2). */
  static boolean isModelFile(Path path) {
    String name = path.getFileName().toString();
    int dot = name.lastIndexOf('.');
    if (dot <= 0) {
      return false;
    }
    String ext = name.substring(dot + 1).toLowerCase(Locale.ROOT);
    String full = path.toString().toLowerCase(Locale.ROOT);
    switch (ext) {
      case "gguf":
        return true;
      case "safetensors":
        return !full.contains("tokenizer") && !full.contains("config");
      case "bin":
        for (String bad :
            List.of(
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
                "pytorch_model")) {
          if (full.contains(bad)) {
            return false;
          }
        }
        return (full.contains("model") || containsAny(full, LLM_WORDS))
            && !full.contains("config")
            && !full.contains("tokenizer");
      default:
        return false;
    }
  }

  private static void groupShards(List<Path> files, List<Found> out) {
    Map<String, List<Path>> groups = new LinkedHashMap<>();
    List<Path> singles = new ArrayList<>();
    for (Path file : files) {
      Matcher m = SHARD.matcher(file.getFileName().toString());
      if (m.matches()) {
        groups.computeIfAbsent(m.group(1) + m.group(2), k -> new ArrayList<>()).add(file);
      } else {
        singles.add(file);
      }
    }
    for (Map.Entry<String, List<Path>> group : groups.entrySet()) {
      List<Path> shards = group.getValue();
      if (shards.size() < 2) {
        continue;
      }
      shards.sort(ModelScan::comparePaths);
      Path first = shards.get(0);
      if (!Files.exists(first)) {
        continue;
      }
      long total = 0;
      for (Path shard : shards) {
        try {
          total += Files.size(shard);
        } catch (IOException e) {
          // A shard that vanished contributes nothing, as in Shimmy.
        }
      }
      String key = group.getKey();
      int dot = key.lastIndexOf('.');
      out.add(new Found(normalise(key.substring(0, dot)), first, total, lora(first)));
    }
    for (Path file : singles) {
      try {
        long size = Files.size(file);
        out.add(new Found(nameOf(file.getFileName().toString()), file, size, lora(file)));
      } catch (IOException e) {
        // Broken symlinks and vanished files are dropped silently.
      }
    }
  }

  /**
   * The id of a model file name: drop the last extension, {@code _} and space to {@code -}, lower.
   */
  public static String nameOf(String fileName) {
    int dot = fileName.lastIndexOf('.');
    return normalise(dot >= 0 ? fileName.substring(0, dot) : fileName);
  }

  private static String normalise(String s) {
    return s.replace("_", "-").replace(" ", "-").toLowerCase(Locale.ROOT);
  }

  private static @Nullable Path lora(Path model) {
    Path dir = model.getParent();
    String stem = stem(model.getFileName().toString());
    if (dir == null) {
      return null;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        boolean loraExt = lower.endsWith(".gguf") || lower.endsWith(".ggml");
        if (loraExt && (lower.contains("lora") || lower.contains("adapter"))) {
          String loraStem = stem(name);
          if (loraStem.contains(stem) || stem.contains(loraStem)) {
            return entry;
          }
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }

  private static String stem(String fileName) {
    int dot = fileName.lastIndexOf('.');
    return dot > 0 ? fileName.substring(0, dot) : fileName;
  }

  private static boolean containsAny(String s, List<String> words) {
    for (String w : words) {
      if (s.contains(w)) {
        return true;
      }
    }
    return false;
  }
}
