package io.github.shimmypull.core.pull.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.internal.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;

/**
 * What the puller keeps under {@code <model-dir>/.shimmy-pull/}, a hidden directory Shimmy's scan
 * skips: for a file being downloaded {@code <name>.part} (never ending in .gguf) and its resume
 * sidecar {@code <name>.part.json}; for a published file its record {@code <name>.meta.json}. JSON
 * files are written to a temporary file and renamed, so they are never half-written. A name too
 * long for the suffixes within the file system's 255-byte limit is stored under a short internal
 * name instead ({@link #internalName}); the published file keeps its name.
 */
public final class PullStore {

  /** Name of the hidden directory inside the model directory. */
  public static final String DIR = ".shimmy-pull";

  /** Longest name a file system takes (ext4, xfs, tmpfs, btrfs...): 255 bytes. */
  public static final int MAX_NAME_BYTES = 255;

  /**
   * The longest suffix added under {@link #DIR}: {@code .part.json} plus the temporary {@code
   * .tmp}.
   */
  private static final int LONGEST_SUFFIX = ".part.json.tmp".length();

  /** A byte range of the file and how many of its bytes (from its start) are on disk. */
  public record Part(long start, long end, long done) {
    public long length() {
      return end - start + 1;
    }

    public boolean complete() {
      return done >= length();
    }
  }

  /** Resume state of one partial download. */
  public record Sidecar(
      String repo, String commit, String path, String sha256, long size, List<Part> parts) {
    public long bytesDone() {
      return parts.stream().mapToLong(Part::done).sum();
    }
  }

  /** What we know about a published file. */
  public record FileRecord(
      String repo,
      String commit,
      String path,
      String file,
      String sha256,
      long size,
      String publishedAt) {}

  private final Path modelDir;
  private final Path dir;

  public PullStore(Path modelDir) {
    this.modelDir = modelDir.toAbsolutePath().normalize();
    this.dir = this.modelDir.resolve(DIR);
  }

  public Path modelDir() {
    return modelDir;
  }

  public Path dir() {
    return dir;
  }

  /**
   * The name a published file's partial, sidecar and record use under {@link #DIR}: the file's own
   * name when it fits the 255-byte limit with every suffix, else its first characters (at most 100
   * bytes), {@code ~} and 32 hex of its sha256 (stable, unique per name, short).
   */
  public static String internalName(String localName) {
    if (localName.getBytes(StandardCharsets.UTF_8).length + LONGEST_SUFFIX <= MAX_NAME_BYTES) {
      return localName;
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(localName.getBytes(StandardCharsets.UTF_8));
      StringBuilder prefix = new StringBuilder();
      int bytes = 0;
      for (int cp : localName.codePoints().toArray()) {
        int length = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
        if (bytes + length > 100) {
          break;
        }
        prefix.appendCodePoint(cp);
        bytes += length;
      }
      return prefix + "~" + HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public Path partial(String localName) {
    return dir.resolve(internalName(localName) + ".part");
  }

  public Path sidecarPath(String localName) {
    return dir.resolve(internalName(localName) + ".part.json");
  }

  public Path recordPath(String localName) {
    return dir.resolve(internalName(localName) + ".meta.json");
  }

  public Path published(String localName) {
    return modelDir.resolve(localName);
  }

  /** Creates the model directory and the hidden store directory. */
  public void ensureDirs() {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw PullStore.local("cannot create " + dir, e);
    }
  }

  public Optional<Sidecar> readSidecar(String localName) {
    return read(sidecarPath(localName), Sidecar.class);
  }

  public void writeSidecar(String localName, Sidecar sidecar) {
    write(sidecarPath(localName), sidecar);
  }

  public Optional<FileRecord> readRecord(String localName) {
    return read(recordPath(localName), FileRecord.class);
  }

  public void writeRecord(FileRecord record) {
    write(recordPath(record.file()), record);
  }

  /** Bytes of a partial download on disk that a resume can use (0 if none or not resumable). */
  public long resumableBytes(String localName, String sha256, long size) {
    if (!Files.isRegularFile(partial(localName))) {
      return 0;
    }
    return readSidecar(localName)
        .filter(s -> s.sha256().equals(sha256) && s.size() == size)
        .map(Sidecar::bytesDone)
        .orElse(0L);
  }

  /**
   * Bytes a resumable partial already occupies on disk, which its download will overwrite rather
   * than add: its length when it was written by one connection (contiguous from byte 0, possibly
   * past the recorded progress, e.g. after a disk-full), else the recorded progress (parallel parts
   * leave holes).
   */
  public long allocatedBytes(String localName, String sha256, long size) {
    long recorded = resumableBytes(localName, sha256, size);
    if (recorded == 0 && !Files.isRegularFile(partial(localName))) {
      return 0;
    }
    boolean onePart =
        readSidecar(localName)
            .filter(s -> s.sha256().equals(sha256) && s.size() == size && s.parts().size() == 1)
            .isPresent();
    if (!onePart) {
      return recorded;
    }
    try {
      return Math.max(recorded, Math.min(size, Files.size(partial(localName))));
    } catch (IOException e) {
      return recorded;
    }
  }

  /** Deletes a partial download and its sidecar. */
  public void discardPartial(String localName) {
    deleteQuietly(partial(localName));
    deleteQuietly(sidecarPath(localName));
  }

  public void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw local("cannot delete " + path, e);
    }
  }

  /** Moves {@code from} to {@code to} atomically (same file system), replacing {@code to}. */
  public static void atomicMove(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException(
          "cannot rename atomically " + from + " -> " + to + " (not on the same file system?)", e);
    }
  }

  /** fsyncs a directory so a rename in it survives a crash (best effort where unsupported). */
  public static void syncDir(Path directory) {
    try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Some file systems cannot open or sync a directory; the rename itself is still atomic.
    }
  }

  private <T> Optional<T> read(Path path, Class<T> type) {
    if (!Files.isRegularFile(path)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Json.lenientReader().forType(type).readValue(path));
    } catch (JacksonException e) {
      // Unreadable or from an incompatible version: treated as absent (a partial restarts).
      return Optional.empty();
    }
  }

  private void write(Path path, Object value) {
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    try {
      Files.createDirectories(path.getParent());
      Files.write(tmp, Json.writeBytes(value));
      atomicMove(tmp, path);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the write failed already (a full disk); the temporary file is overwritten next time
      }
      throw local("cannot write " + path, e);
    }
  }

  /** A local I/O failure: INSUFFICIENT_STORAGE when the disk is full, IO otherwise. */
  public static PullException local(String message, @Nullable Throwable cause) {
    String text = cause == null ? "" : String.valueOf(cause.getMessage());
    if (text.contains("No space left") || text.contains("Disk quota exceeded")) {
      return new PullException(Reason.INSUFFICIENT_STORAGE, message + ": disk full", cause);
    }
    return new PullException(Reason.IO, message + (cause == null ? "" : ": " + cause), cause);
  }
}
