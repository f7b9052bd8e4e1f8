package io.github.shimmypull.core.ollama.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What Ollama's {@code details} say about a model file, read from its GGUF header: family (from
 * {@code general.architecture}), parameter size ({@code general.parameter_count}, else {@code
 * general.size_label}, else the file name, else an estimate from size and quantization) and
 * quantization level ({@code general.file_type}, else the file name). The file name is only a
 * fallback. Headers are read once per file version (path, size, modification time).
 *
 * @param family the architecture, e.g. {@code llama}, or {@code ""} when unknown
 * @param parameterSize e.g. {@code 1.1B}, or {@code ""} when unknown
 * @param quantizationLevel e.g. {@code Q4_K_M}, or {@code ""} when unknown
 * @param metadata the header's keys
 */
public record ModelFacts(
    String family, String parameterSize, String quantizationLevel, GgufReader.Metadata metadata) {

  private static final int CACHE_LIMIT = 256;
  private static final Map<Path, Cached> CACHE = new ConcurrentHashMap<>();

  private static final Pattern QUANT_IN_NAME =
      Pattern.compile(
          "(?i)(?<![A-Za-z0-9])((?:I?Q[1-8](?:_[0-9])?(?:_K)?(?:_(?:XXS|XS|S|M|L|NL))?)|BF16|F16|F32|TQ[12]_0)(?![A-Za-z0-9])");
  private static final Pattern SIZE_IN_NAME =
      Pattern.compile("(?i)(?<![A-Za-z0-9.])([0-9]+(?:\\.[0-9]+)?)([BM])(?![A-Za-z0-9])");

  /** Ollama's names for llama.cpp's {@code general.file_type} values. */
  private static final Map<Integer, String> FILE_TYPES =
      Map.ofEntries(
          Map.entry(0, "F32"),
          Map.entry(1, "F16"),
          Map.entry(2, "Q4_0"),
          Map.entry(3, "Q4_1"),
          Map.entry(7, "Q8_0"),
          Map.entry(8, "Q5_0"),
          Map.entry(9, "Q5_1"),
          Map.entry(10, "Q2_K"),
          Map.entry(11, "Q3_K_S"),
          Map.entry(12, "Q3_K_M"),
          Map.entry(13, "Q3_K_L"),
          Map.entry(14, "Q4_K_S"),
          Map.entry(15, "Q4_K_M"),
          Map.entry(16, "Q5_K_S"),
          Map.entry(17, "Q5_K_M"),
          Map.entry(18, "Q6_K"),
          Map.entry(19, "IQ2_XXS"),
          Map.entry(20, "IQ2_XS"),
          Map.entry(21, "Q2_K_S"),
          Map.entry(22, "IQ3_XS"),
          Map.entry(23, "IQ3_XXS"),
          Map.entry(24, "IQ1_S"),
          Map.entry(25, "IQ4_NL"),
          Map.entry(26, "IQ3_S"),
          Map.entry(27, "IQ3_M"),
          Map.entry(28, "IQ2_S"),
          Map.entry(29, "IQ2_M"),
          Map.entry(30, "IQ4_XS"),
          Map.entry(31, "IQ1_M"),
          Map.entry(32, "BF16"),
          Map.entry(36, "TQ1_0"),
          Map.entry(37, "TQ2_0"));

  public ModelFacts {
    family = family == null ? "" : family;
  }

  /** {@code [family]}, or empty when the family is unknown. */
  public List<String> families() {
    return family.isEmpty() ? List.of() : List.of(family);
  }

  /** {@code <arch>.context_length}, or null. */
  public @Nullable Long contextLength() {
    return family.isEmpty() ? null : metadata.integer(family + ".context_length");
  }

  /** The facts of {@code file} (the first file of a model), {@code totalSize} bytes in all. */
  public static ModelFacts of(Path file, long totalSize) {
    long size;
    long modified;
    try {
      size = Files.size(file);
      modified = Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      return from(GgufReader.Metadata.EMPTY, file.getFileName().toString(), totalSize);
    }
    Cached cached = CACHE.get(file);
    if (cached != null && cached.size == size && cached.modified == modified) {
      return from(cached.metadata, file.getFileName().toString(), totalSize);
    }
    GgufReader.Metadata metadata = GgufReader.read(file);
    if (CACHE.size() >= CACHE_LIMIT) {
      CACHE.clear();
    }
    CACHE.put(file, new Cached(size, modified, metadata));
    return from(metadata, file.getFileName().toString(), totalSize);
  }

  /** The facts from a header, with the file name and size as fallbacks. */
  public static ModelFacts from(GgufReader.Metadata metadata, String fileName, long totalSize) {
    String family = metadata.string("general.architecture");
    String quant = quantization(metadata, fileName);
    return new ModelFacts(
        family == null ? "" : family.trim(),
        parameterSize(metadata, fileName, totalSize, quant),
        quant,
        metadata);
  }

  /**
   * The quant tag in a file name (the last one), e.g. {@code Q4_K_M} in {@code tiny.Q4_K_M.gguf}.
   */
  public static @Nullable String quantInName(String fileName) {
    Matcher m = QUANT_IN_NAME.matcher(fileName);
    String found = null;
    while (m.find()) {
      found = m.group(1).toUpperCase(Locale.ROOT);
    }
    return found;
  }

  private static String quantization(GgufReader.Metadata metadata, String fileName) {
    Long fileType = metadata.integer("general.file_type");
    if (fileType != null) {
      String name = FILE_TYPES.get(fileType.intValue());
      if (name != null) {
        return name;
      }
    }
    String inName = quantInName(fileName);
    return inName == null ? "" : inName;
  }

  private static String parameterSize(
      GgufReader.Metadata metadata, String fileName, long totalSize, String quant) {
    Long count = metadata.integer("general.parameter_count");
    if (count != null && count > 0) {
      return humanNumber(count);
    }
    String label = metadata.string("general.size_label");
    if (label != null && !label.isBlank() && label.length() <= 32) {
      return label.trim();
    }
    Matcher m = SIZE_IN_NAME.matcher(fileName);
    if (m.find()) {
      return m.group(1) + m.group(2).toUpperCase(Locale.ROOT);
    }
    double bits = bitsPerWeight(quant);
    if (bits > 0 && totalSize > 0) {
      return humanNumber((long) (totalSize * 8 / bits));
    }
    return "";
  }

  /** Rough bits per weight of a quantization, for the size estimate; 0 when unknown. */
  private static double bitsPerWeight(String quant) {
    if (quant.isEmpty()) {
      return 0;
    }
    return switch (quant) {
      case "F32" -> 32;
      case "F16", "BF16" -> 16;
      case "Q8_0" -> 8.5;
      default -> {
        char digit = quant.charAt(quant.startsWith("IQ") ? 2 : 1);
        yield Character.isDigit(digit) ? Character.digit(digit, 10) + 0.5 : 0;
      }
    };
  }

  /**
   * Ollama's human form of a parameter count: {@code 7B}, {@code 1.1B}, {@code 494.03M}, {@code
   * 12K}.
   */
  public static String humanNumber(long n) {
    if (n >= 1_000_000_000L) {
      double v = n / 1e9;
      return v == Math.floor(v)
          ? String.format(Locale.ROOT, "%.0fB", v)
          : String.format(Locale.ROOT, "%.1fB", v);
    }
    if (n >= 1_000_000L) {
      double v = n / 1e6;
      return v == Math.floor(v)
          ? String.format(Locale.ROOT, "%.0fM", v)
          : String.format(Locale.ROOT, "%.2fM", v);
    }
    if (n >= 1_000L) {
      return String.format(Locale.ROOT, "%.0fK", n / 1e3);
    }
    return Long.toString(n);
  }

  private record Cached(long size, long modified, GgufReader.Metadata metadata) {}
}
