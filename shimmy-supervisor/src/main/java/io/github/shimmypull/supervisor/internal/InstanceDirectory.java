package io.github.shimmypull.supervisor.internal;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The private model directories of the instances: {@code
 * <model-dir>/.shimmy-pull/instances/<safe-name>-<n>/models}, each holding links to the files of
 * one model only (every shard of a split model), so a Shimmy started with {@code --model-dirs} on
 * it serves that model and nothing else (Shimmy pins the first model it loads, shimmy-contract
 * §3.11).
 *
 * <p>Naming follows the scan rules (§4.3): the scan root is a directory named {@code models} (not
 * hidden, not a system name, so Shimmy does not skip it); the hidden {@code .shimmy-pull} above it
 * keeps the links out of the scan of the model directory itself; the instance directory's name
 * avoids the words that make Shimmy drop a {@code .bin} or {@code .safetensors} by its full path
 * ({@code config}, {@code tokenizer}, ...). The links keep the original file names, since the id
 * comes from the file name (§4.1).
 *
 * <p><b>Hard links, symbolic links as the fallback.</b> A hard link is another name for the same
 * bytes: when a pull re-publishes a model under the same name (write elsewhere, atomic rename over
 * it), the running instance's link still names the old bytes, so the old instance keeps serving
 * what it loaded while its replacement starts on the new ones (blue-green), and a model deleted
 * under a running instance does not vanish under it. A symbolic link would follow the rename to the
 * new bytes (or dangle after a delete, and Shimmy drops broken links). Hard links cannot cross file
 * systems (nor work on every file system), so a model whose files live elsewhere (for example a
 * symlink into another disk) gets symbolic links to the real files instead. The cost of hard links:
 * a deleted model's bytes stay on disk until its instance stops and its directory is removed.
 */
public final class InstanceDirectory {

  private static final Logger log = LoggerFactory.getLogger(InstanceDirectory.class);

  /** Words that, anywhere in a file's path, make Shimmy skip some model files (§4.2). */
  private static final List<String> AVOIDED_WORDS =
      List.of(
          "config",
          "tokenizer",
          "pytorch_model",
          "whisper",
          "wav2vec",
          "target",
          "cmake",
          "incremental",
          "work-products",
          "dep-graph",
          "query-cache",
          "ompver",
          "huggingface",
          "bert",
          "clip");

  private static final int MAX_NAME = 40;

  private final Path root;
  private final AtomicLong sequence = new AtomicLong();

  /** The instance directories of {@code modelDir}. */
  public InstanceDirectory(Path modelDir) {
    this.root = modelDir.toAbsolutePath().normalize().resolve(".shimmy-pull").resolve("instances");
  }

  /** {@code <model-dir>/.shimmy-pull/instances}. */
  public Path root() {
    return root;
  }

  /** Removes what earlier runs left behind (they ended without cleaning up, e.g. by SIGKILL). */
  public void cleanStale() {
    if (Files.exists(root)) {
      log.info("removing stale instance directories under {}", root);
      deleteTree(root);
    }
  }

  /**
   * Creates a fresh private directory for {@code model} and links its files into it.
   *
   * @return the directory to pass to Shimmy's {@code --model-dirs}
   * @throws UncheckedIOException when the directory or a link cannot be created
   */
  public Path create(DiscoveredModel model) {
    Path dir =
        root.resolve(safeName(model.id()) + "-" + sequence.incrementAndGet()).resolve("models");
    try {
      Files.createDirectories(dir);
      for (Path file : model.files()) {
        link(dir.resolve(file.getFileName().toString()), file);
      }
      return dir;
    } catch (IOException e) {
      delete(dir);
      throw new UncheckedIOException(
          "cannot create the private model directory " + dir + " for " + model.id() + ": " + e, e);
    }
  }

  private static void link(Path link, Path file) throws IOException {
    Path real = file.toRealPath();
    try {
      Files.createLink(link, real);
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (IOException | UnsupportedOperationException crossDeviceOrUnsupported) {
      log.debug(
          "hard link {} -> {} failed ({}); using a symbolic link",
          link,
          real,
          crossDeviceOrUnsupported.toString());
      Files.createSymbolicLink(link, real);
    }
  }

  /** Removes an instance's private directory (the {@code models} dir and its parent); quiet. */
  public void delete(Path modelsDir) {
    Path instanceDir = modelsDir.getParent();
    if (instanceDir != null && instanceDir.startsWith(root)) {
      deleteTree(instanceDir);
    }
  }

  /** A file-name-safe form of a model id that avoids the words Shimmy's scan reacts to. */
  static String safeName(String id) {
    String s = id.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]+", "-").replaceAll("^[.-]+", "");
    if (s.length() > MAX_NAME) {
      s = s.substring(0, MAX_NAME);
    }
    for (String word : AVOIDED_WORDS) {
      if (s.contains(word)) {
        s = "";
        break;
      }
    }
    return s.isEmpty() ? "model" : s;
  }

  private static void deleteTree(Path dir) {
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      log.warn("cannot remove {}: {}", dir, e.toString());
    }
  }
}
