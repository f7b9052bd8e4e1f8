package io.github.shimmypull.core.pull;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * The start-up check of a model directory, so that what is wrong with it is said once, plainly,
 * before anything else fails on it: "is not a directory", "is not writable: permission denied", "is
 * not writable: read-only file system". {@link #describe} gives the cause of any file-system
 * failure in words (the JDK's exceptions carry only the path).
 */
public final class ModelDirCheck {

  /** The directory under the model directory that holds everything we write besides models. */
  private static final String STATE_DIR = ".shimmy-pull";

  private ModelDirCheck() {}

  /**
   * Creates {@code dir} when missing and checks that it is a directory and, when {@code writable},
   * that files can be created in it (a probe file in its {@code .shimmy-pull/} is written and
   * deleted).
   *
   * @throws PullException {@link Reason#IO} saying what is wrong
   */
  public static void require(Path dir, boolean writable) {
    Path shown = dir.toAbsolutePath();
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new PullException(Reason.IO, "model directory " + shown + " is not a directory");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new PullException(
          Reason.IO, "cannot create model directory " + shown + ": " + describe(e), e);
    }
    if (!writable) {
      return;
    }
    try {
      Path state = Files.createDirectories(dir.resolve(STATE_DIR));
      Path probe = Files.createTempFile(state, "write-check", ".tmp");
      Files.delete(probe);
    } catch (IOException e) {
      throw new PullException(
          Reason.IO, "model directory " + shown + " is not writable: " + describe(e), e);
    }
  }

  /**
   * The cause of a file-system failure in words, with the file it concerns when that is another.
   */
  public static String describe(IOException e) {
    String what;
    if (e instanceof AccessDeniedException) {
      what = "permission denied";
    } else if (e instanceof NoSuchFileException) {
      what = "no such file or directory";
    } else if (e instanceof NotDirectoryException) {
      what = "not a directory";
    } else if (e instanceof FileAlreadyExistsException) {
      what = "a file is in the way";
    } else if (e instanceof FileSystemException fs && fs.getReason() != null) {
      what = fs.getReason().toLowerCase(java.util.Locale.ROOT);
    } else {
      String message = e.getMessage();
      what = message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
    if (e instanceof FileSystemException fs && fs.getFile() != null) {
      what = what + " (" + fs.getFile() + ")";
    }
    return what;
  }
}
