package io.github.shimmypull.core.ollama;

import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.ollama.internal.ModelFacts;
import io.github.shimmypull.core.pull.LocalModel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The Ollama names of the models in one model directory. A model pulled through {@code /api/pull}
 * keeps the name it was pulled by, exactly ({@code :latest} added when it has no tag), in {@code
 * <model-dir>/.shimmy-pull/ollama-names.json} (written atomically, so it survives restarts); other
 * models are named {@code hf.co/{repo}:{quant}} when their pull metadata knows the repo, else
 * {@code {id}:latest}. Lookups ignore case, treat a missing tag as {@code :latest} and {@code
 * huggingface.co/} as {@code hf.co/}, and accept Shimmy's ids.
 *
 * <p>{@link #resolver()} gives the name-to-id lookup to other routes (e.g. the OpenAI routes' model
 * routing), so a client can use the same name everywhere.
 */
public final class ModelNames {

  private static final Logger LOG = LoggerFactory.getLogger(ModelNames.class);

  /** File name of the aliases under {@code <model-dir>/.shimmy-pull/}. */
  public static final String FILE = "ollama-names.json";

  private static final String LATEST = ":latest";

  private final Path modelDir;
  private final Path file;
  private final Supplier<List<LocalModel>> models;

  /** Name as pulled (display form) to model id, in the order they were recorded. */
  private Map<String, String> names = new LinkedHashMap<>();

  private @Nullable FileTime loadedModified;
  private long loadedSize = -1;

  /**
   * @param modelDir the model directory
   * @param models the models now in it (e.g. {@code coordinator::localModels})
   */
  public ModelNames(Path modelDir, Supplier<List<LocalModel>> models) {
    this.modelDir = modelDir.toAbsolutePath().normalize();
    this.file = this.modelDir.resolve(".shimmy-pull").resolve(FILE);
    this.models = Objects.requireNonNull(models, "models");
  }

  /** {@code name -> model id} (null when no model has that name), for other routes. */
  public Function<String, @Nullable String> resolver() {
    return this::resolve;
  }

  /** The id of the model named {@code name}, or null when none is. */
  public @Nullable String resolve(String name) {
    LocalModel model = find(name);
    return model == null ? null : model.id();
  }

  /** The model named {@code name}, or null when none is. */
  @Nullable LocalModel find(String name) {
    if (name.isBlank()) {
      return null;
    }
    List<LocalModel> local = models.get();
    String key = key(name);
    String aliased = aliasedId(key);
    if (aliased != null) {
      for (LocalModel m : local) {
        if (m.id().equals(aliased)) {
          return m;
        }
      }
    }
    for (LocalModel m : local) {
      if (key(m.id()).equals(key) || key(derivedName(m)).equals(key)) {
        return m;
      }
    }
    return null;
  }

  /** The names {@code model} is listed under: the ones it was pulled by, else its derived name. */
  List<String> namesOf(LocalModel model) {
    List<String> result = new ArrayList<>();
    synchronized (this) {
      load();
      names.forEach(
          (name, id) -> {
            if (id.equals(model.id())) {
              result.add(name);
            }
          });
    }
    if (result.isEmpty()) {
      result.add(derivedName(model));
    }
    return result;
  }

  /**
   * Records that {@code pulledName} names model {@code id} (replacing what it named before), and
   * forgets the names of models no longer in the directory.
   *
   * @return the name as it is listed: {@code pulledName} trimmed, {@code :latest} added without tag
   */
  synchronized String record(String pulledName, String id) {
    String display = displayName(pulledName);
    load();
    Set<String> present = new HashSet<>();
    models.get().forEach(m -> present.add(m.id()));
    Map<String, String> next = new LinkedHashMap<>(names);
    next.keySet().removeIf(n -> key(n).equals(key(display)));
    // Names of models deleted by other means (another API, a file removed) go too, so they never
    // come back attached to a later model with the same id.
    next.values().removeIf(named -> !present.contains(named));
    next.put(display, id);
    save(next);
    return display;
  }

  /**
   * Forgets the recorded name {@code name} (any case).
   *
   * @return the id it named, or null when it was not a recorded name
   */
  synchronized @Nullable String forget(String name) {
    load();
    String key = key(name);
    String id = null;
    Map<String, String> next = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : names.entrySet()) {
      if (key(e.getKey()).equals(key)) {
        id = e.getValue();
      } else {
        next.put(e.getKey(), e.getValue());
      }
    }
    if (id != null) {
      save(next);
    }
    return id;
  }

  /** Forgets every recorded name of model {@code id}. */
  synchronized void forgetModel(String id) {
    load();
    Map<String, String> next = new LinkedHashMap<>(names);
    if (next.values().removeIf(id::equals)) {
      save(next);
    }
  }

  /** Whether some recorded name still names model {@code id}. */
  synchronized boolean isNamed(String id) {
    load();
    return names.containsValue(id);
  }

  /** The form a pulled name is listed under: trimmed, with {@code :latest} when it has no tag. */
  static String displayName(String name) {
    String trimmed = name.strip();
    return hasTag(trimmed) ? trimmed : trimmed + LATEST;
  }

  /** The lookup key of a name: lower case, {@code hf.co/} for {@code huggingface.co/}, a tag. */
  static String key(String name) {
    String s = name.strip().toLowerCase(Locale.ROOT);
    for (String scheme : new String[] {"https://", "http://"}) {
      if (s.startsWith(scheme)) {
        s = s.substring(scheme.length());
      }
    }
    if (s.startsWith("huggingface.co/")) {
      s = "hf.co/" + s.substring("huggingface.co/".length());
    }
    return hasTag(s) ? s : s + LATEST;
  }

  private static boolean hasTag(String name) {
    return name.indexOf(':', name.lastIndexOf('/') + 1) >= 0;
  }

  /**
   * {@code hf.co/{repo}:{quant}} when the repo and quantization are known, else {@code
   * {id}:latest}.
   */
  private String derivedName(LocalModel model) {
    if (model.repo() != null && !model.files().isEmpty()) {
      String first = model.files().get(0);
      String quant = ModelFacts.quantInName(first);
      if (quant == null) {
        quant = ModelFacts.of(modelDir.resolve(first), model.sizeBytes()).quantizationLevel();
      }
      if (!quant.isEmpty()) {
        return "hf.co/" + model.repo() + ":" + quant;
      }
    }
    return model.id() + LATEST;
  }

  private synchronized @Nullable String aliasedId(String key) {
    load();
    for (Map.Entry<String, String> e : names.entrySet()) {
      if (key(e.getKey()).equals(key)) {
        return e.getValue();
      }
    }
    return null;
  }

  /** (Re)reads the file when it changed since the last read (another process, a restart). */
  private void load() {
    FileTime modified;
    long size;
    try {
      modified = Files.getLastModifiedTime(file);
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      names = new LinkedHashMap<>();
      loadedModified = null;
      loadedSize = -1;
      return;
    } catch (IOException e) {
      LOG.warn("cannot read {}: {}", file, e.toString());
      return;
    }
    if (modified.equals(loadedModified) && size == loadedSize) {
      return;
    }
    Map<String, String> read = new LinkedHashMap<>();
    try {
      JsonNode root = Json.readTree(Files.readAllBytes(file));
      JsonNode entries = root == null ? null : root.get("names");
      if (entries != null && entries.isObject()) {
        for (Map.Entry<String, JsonNode> e : entries.properties()) {
          if (e.getValue().isString() && !e.getKey().isBlank()) {
            read.put(e.getKey(), e.getValue().stringValue());
          }
        }
      }
    } catch (IOException | JacksonException e) {
      LOG.warn("ignoring unreadable Ollama names in {}: {}", file, e.toString());
    }
    names = read;
    loadedModified = modified;
    loadedSize = size;
  }

  private void save(Map<String, String> next) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("version", 1);
    body.put("names", next);
    byte[] bytes = Json.writeBytes(body);
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(FILE + ".tmp");
      try (FileChannel channel =
              FileChannel.open(
                  tmp,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE,
                  StandardOpenOption.TRUNCATE_EXISTING);
          OutputStream out = Channels.newOutputStream(channel)) {
        out.write(bytes);
        out.flush();
        channel.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      names = next;
      loadedModified = Files.getLastModifiedTime(file);
      loadedSize = Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
