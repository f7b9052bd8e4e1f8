package io.github.shimmypull.core;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Shimmy 2.5.0's rule for turning a model file name into the model id it serves (shimmy-contract
 * §4.1), so a pull can name the id before Shimmy restarts.
 *
 * <p>Drop the last extension, replace {@code _} and spaces by {@code -}, lower-case. Split models
 * ({@code base-00001-of-00003.gguf}) are served as one id made from {@code base}.
 */
public final class ShimmyModelIds {

  private static final Pattern SHARD = Pattern.compile("^(.+)-([0-9]{5})-of-([0-9]{5})\\.([^.]+)$");

  private ShimmyModelIds() {}

  /**
   * The id Shimmy gives a single (non-split) model file, e.g. {@code Llama_3.Q4_K_M.gguf →
   * llama-3.q4-k-m}.
   */
  public static String idForFile(String fileName) {
    String name = baseName(fileName);
    int dot = name.lastIndexOf('.');
    String stem = dot >= 0 ? name.substring(0, dot) : name;
    return normalise(stem);
  }

  /**
   * The id Shimmy gives a file, taking split models into account: a shard's id is the id of its
   * group's base name, otherwise the file's own id.
   */
  public static String idForModelFile(String fileName) {
    return shard(fileName).map(s -> normalise(s.base())).orElseGet(() -> idForFile(fileName));
  }

  /** The shard parts of a split model file name, if it is one ({@code base-NNNNN-of-NNNNN.ext}). */
  public static Optional<Shard> shard(String fileName) {
    Matcher m = SHARD.matcher(baseName(fileName));
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(
        new Shard(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))));
  }

  /** Shimmy's normalisation of a stem: {@code _} and space to {@code -}, then lower case. */
  public static String normalise(String stem) {
    return stem.replace('_', '-').replace(' ', '-').toLowerCase(Locale.ROOT);
  }

  private static String baseName(String fileName) {
    int slash = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
    return slash >= 0 ? fileName.substring(slash + 1) : fileName;
  }

  /**
   * One shard of a split model.
   *
   * @param base the file name before {@code -NNNNN-of-NNNNN}
   * @param index this shard's number, from 1
   * @param count how many shards the model has
   */
  public record Shard(String base, int index, int count) {}
}
