package io.github.shimmypull.core.pull;

import org.jspecify.annotations.Nullable;

/**
 * A parsed, validated reference to a model on Hugging Face: a repository plus either an explicit
 * file or a quant tag, and an optional revision (branch, tag or commit).
 *
 * <p>Accepted forms (see server-interface.md): {@code owner/repo} with an explicit file, {@code
 * owner/repo:TAG}, {@code hf.co/owner/repo[:TAG]}, {@code huggingface.co/owner/repo[:TAG]} and
 * {@code https://huggingface.co/owner/repo}. With neither file nor tag the default tag choice
 * applies (Q4_K_M, then Q8_0, then the first model file).
 *
 * @param repo repository id {@code owner/name}
 * @param tag quant tag such as {@code Q4_K_M}, or null
 * @param file repo-relative path of the file to pull (may contain {@code /}), or null
 * @param revision branch, tag or commit to resolve, or null for {@code main}
 */
public record ModelRef(
    String repo, @Nullable String tag, @Nullable String file, @Nullable String revision) {

  /** The revision to resolve when none is given. */
  public static final String DEFAULT_REVISION = "main";

  public ModelRef {
    ModelRefs.validate(repo, tag, file, revision);
  }

  /**
   * Parses a reference as users type it, with an optional explicit file and revision.
   *
   * @throws io.github.shimmypull.core.PullException with reason INVALID_REQUEST and a precise
   *     message for every rejected part
   */
  public static ModelRef parse(String ref, @Nullable String file, @Nullable String revision) {
    return ModelRefs.parse(ref, file, revision);
  }

  /** Parses a reference with no explicit file or revision. */
  public static ModelRef parse(String ref) {
    return parse(ref, null, null);
  }

  /** The revision to resolve: the given one, or {@code main}. */
  public String revisionOrDefault() {
    return revision == null ? DEFAULT_REVISION : revision;
  }

  /**
   * The canonical text form, e.g. {@code owner/repo:Q4_K_M} or {@code owner/repo/dir/x.gguf@rev}.
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(repo);
    if (file != null) {
      sb.append('/').append(file);
    } else if (tag != null) {
      sb.append(':').append(tag);
    }
    if (revision != null) {
      sb.append('@').append(revision);
    }
    return sb.toString();
  }
}
