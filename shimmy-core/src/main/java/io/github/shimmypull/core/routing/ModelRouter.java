package io.github.shimmypull.core.routing;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Decides which model a request goes to: the {@code model} of the JSON body of {@code POST
 * /v1/chat/completions}, {@code /v1/completions}, {@code /v1/messages}, {@code /api/generate} and
 * {@code /v1/generate}, read from a bounded prefix of the body ({@link #maxPrefixBytes()}), is
 * resolved against the served model ids: the exact id, else the id equal ignoring case, else the id
 * the alias hook maps it to, else {@link RoutingException.Reason#MODEL_NOT_FOUND} (nothing is
 * started). A body without {@code model} goes to the default model when one is set, else to the
 * only model, else it is refused ({@link RoutingException.Reason#MODEL_REQUIRED}).
 *
 * <p>It also owns the OpenAI default: on {@code /v1/chat/completions}, {@code /v1/completions} and
 * {@code /v1/generate}, a body without a top-level {@code stream} is forwarded with {@code
 * "stream":false} (Shimmy streams when the field is absent; OpenAI's clients expect JSON).
 *
 * <p>Immutable and thread-safe; one is shared by {@link
 * io.github.shimmypull.core.proxy.ShimmyProxy} and {@link
 * io.github.shimmypull.core.edge.ShimmyEdge}, so both fronts decide alike.
 */
public final class ModelRouter {

  /** Default {@link Builder#maxPrefixBytes(int)}: 64 KiB. */
  public static final int DEFAULT_MAX_PREFIX_BYTES = 64 * 1024;

  private static final ModelRouter DEFAULTS = builder().build();

  private final @Nullable String defaultModel;
  private final Function<String, @Nullable String> alias;
  private final int maxPrefixBytes;

  private ModelRouter(Builder builder) {
    this.defaultModel = builder.defaultModel;
    this.alias = builder.alias;
    this.maxPrefixBytes = builder.maxPrefixBytes;
  }

  /** A router without default model or aliases, with the default prefix. */
  public static ModelRouter defaults() {
    return DEFAULTS;
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * True for the requests routed by the {@code model} of their body (POST to a generation path).
   */
  public static boolean routesByModel(String method, String path) {
    return method.equals("POST") && isRoutedPath(path);
  }

  /** True for the generation paths whose JSON body names the model. */
  public static boolean isRoutedPath(String path) {
    return switch (path) {
      case "/v1/chat/completions",
          "/v1/completions",
          "/v1/messages",
          "/api/generate",
          "/v1/generate" ->
          true;
      default -> false;
    };
  }

  /**
   * True for the paths where a body without {@code stream} is forwarded with {@code
   * "stream":false}.
   */
  public static boolean defaultsToNonStreaming(String path) {
    return switch (path) {
      case "/v1/chat/completions", "/v1/completions", "/v1/generate" -> true;
      default -> false;
    };
  }

  /** The path on Shimmy: {@code /v1/generate} is our alias of {@code /api/generate}. */
  public static String upstreamPath(String path) {
    return path.equals("/v1/generate") ? "/api/generate" : path;
  }

  /** How much of a body is read to find {@code model}. */
  public int maxPrefixBytes() {
    return maxPrefixBytes;
  }

  /** The model for requests that name none, or null. */
  public @Nullable String defaultModel() {
    return defaultModel;
  }

  /**
   * The served id a request goes to.
   *
   * @param requested the body's {@code model}, or null when it names none
   * @param available the served ids, sorted
   * @return the id; the requested name itself when no model is known at all (the supervisor then
   *     says why: MODEL_NOT_FOUND, or that the backend is unavailable); null when the request names
   *     no model and none is known (the caller leases any instance, which answers that nothing
   *     runs)
   * @throws RoutingException MODEL_NOT_FOUND or MODEL_REQUIRED
   */
  public @Nullable String resolve(@Nullable String requested, List<String> available) {
    if (requested == null || requested.isBlank()) {
      if (defaultModel != null) {
        return resolve(defaultModel, available);
      }
      if (available.size() == 1) {
        return available.get(0);
      }
      if (available.isEmpty()) {
        return null;
      }
      throw new RoutingException(
          RoutingException.Reason.MODEL_REQUIRED,
          "The request names no 'model' and "
              + available.size()
              + " models are served: "
              + available
              + ". Name one in 'model'.");
    }
    if (available.isEmpty()) {
      return requested; // nothing discovered (yet): the supervisor's answer is the true one
    }
    String found = match(requested, available);
    if (found == null) {
      String aliased = alias.apply(requested);
      if (aliased != null) {
        found = match(aliased, available);
      }
    }
    if (found == null) {
      throw RoutingException.notFound(requested, available);
    }
    return found;
  }

  private static @Nullable String match(String name, List<String> available) {
    for (String id : available) {
      if (id.equals(name)) {
        return id;
      }
    }
    for (String id : available) {
      if (id.equalsIgnoreCase(name)) {
        return id;
      }
    }
    return null;
  }

  /** Configures a {@link ModelRouter}. */
  public static final class Builder {

    private @Nullable String defaultModel;
    private Function<String, @Nullable String> alias = name -> null;
    private int maxPrefixBytes = DEFAULT_MAX_PREFIX_BYTES;

    private Builder() {}

    /** The model of requests that name none ({@code --default-model}); default none. */
    public Builder defaultModel(@Nullable String defaultModel) {
      this.defaultModel = defaultModel == null || defaultModel.isBlank() ? null : defaultModel;
      return this;
    }

    /**
     * Maps a requested name that matches no id (also ignoring case) to an id, or null; default
     * none. Used for Ollama names such as {@code hf.co/owner/repo:Q4_K_M}.
     */
    public Builder alias(Function<String, @Nullable String> alias) {
      this.alias = Objects.requireNonNull(alias, "alias");
      return this;
    }

    /**
     * How many bytes of a body are read to find {@code model}; a longer body that names its model
     * later is refused with 400 {@code model_not_in_prefix}. Default 64 KiB ({@link
     * #DEFAULT_MAX_PREFIX_BYTES}); at least 1 KiB.
     */
    public Builder maxPrefixBytes(int maxPrefixBytes) {
      if (maxPrefixBytes < 1024) {
        throw new IllegalArgumentException(
            "maxPrefixBytes must be at least 1024: " + maxPrefixBytes);
      }
      this.maxPrefixBytes = maxPrefixBytes;
      return this;
    }

    public ModelRouter build() {
      return new ModelRouter(this);
    }
  }
}
