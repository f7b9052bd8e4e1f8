package io.github.shimmypull.core.pull.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * llama.cpp's choice of a model file by quant tag: case-insensitive {@code <tag>[.-]} on the path,
 * default {@code Q4_K_M} then {@code Q8_0} then the first model file; projector, imatrix and draft
 * files never count; of a split model only shard 00001 is matched, then every shard is taken.
 */
public final class QuantSelector {

  /** Tags tried, in order, when the reference names none. */
  public static final List<String> DEFAULT_TAGS = List.of("Q4_K_M", "Q8_0");

  private static final List<String> EXCLUDED =
      List.of("mmproj", "imatrix", "mtp-", "eagle3-", "dflash-", "dspark-");
  private static final Pattern SPLIT =
      Pattern.compile("^(.+)-([0-9]{5})-of-([0-9]{5})\\.gguf$", Pattern.CASE_INSENSITIVE);

  private QuantSelector() {}

  /**
   * Chooses the files to pull among {@code paths} (repo-relative, in the Hub's order).
   *
   * @return the chosen file, or every shard of the chosen split model in order
   * @throws PullException NOT_FOUND listing the available GGUF files when nothing matches
   */
  public static List<String> select(String repo, List<String> paths, @Nullable String tag) {
    List<String> gguf =
        paths.stream().filter(p -> p.toLowerCase(Locale.ROOT).endsWith(".gguf")).sorted().toList();
    List<String> candidates =
        gguf.stream()
            .filter(QuantSelector::isModelFile)
            .filter(QuantSelector::isFirstShardOrSingle)
            .toList();
    List<String> tags = tag == null ? DEFAULT_TAGS : List.of(tag);
    for (String t : tags) {
      Pattern p = Pattern.compile(Pattern.quote(t) + "[.-]", Pattern.CASE_INSENSITIVE);
      for (String c : candidates) {
        if (p.matcher(c).find()) {
          return withShards(repo, c, gguf);
        }
      }
    }
    if (tag == null && !candidates.isEmpty()) {
      return withShards(repo, candidates.get(0), gguf);
    }
    String what =
        tag == null
            ? "no GGUF model file in " + repo
            : "no GGUF file in " + repo + " matches tag '" + tag + "'";
    throw new PullException(
        Reason.NOT_FOUND,
        what + "; available GGUF files: " + (gguf.isEmpty() ? "none" : String.join(", ", gguf)),
        null,
        Map.of("available", gguf));
  }

  /** Whether {@code path} is a main model file (not a projector, imatrix or draft model). */
  public static boolean isModelFile(String path) {
    String lower = path.toLowerCase(Locale.ROOT);
    String name = lower.substring(lower.lastIndexOf('/') + 1);
    return EXCLUDED.stream().noneMatch(name::contains);
  }

  private static boolean isFirstShardOrSingle(String path) {
    Matcher m = SPLIT.matcher(path);
    return !m.matches() || Integer.parseInt(m.group(2)) == 1;
  }

  /** {@code path} alone, or all shards of its split model (NOT_FOUND if a shard is missing). */
  public static List<String> withShards(String repo, String path, List<String> all) {
    Matcher m = SPLIT.matcher(path);
    if (!m.matches()) {
      return List.of(path);
    }
    String prefix = m.group(1);
    int count = Integer.parseInt(m.group(3));
    List<String> shards = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      String shard = String.format(Locale.ROOT, "%s-%05d-of-%05d.gguf", prefix, i, count);
      String found = all.stream().filter(p -> p.equalsIgnoreCase(shard)).findFirst().orElse(null);
      if (found == null) {
        throw new PullException(
            Reason.NOT_FOUND,
            "split model "
                + path
                + " in "
                + repo
                + " is incomplete: shard "
                + shard
                + " is missing",
            null,
            Map.of("available", all));
      }
      shards.add(found);
    }
    return shards;
  }
}
