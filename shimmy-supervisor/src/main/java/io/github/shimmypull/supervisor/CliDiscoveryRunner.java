package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.DiscoveryRunner;
import io.github.shimmypull.core.internal.DaemonThreads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Asks Shimmy itself which ids it would serve: runs {@code <command> list --short --model-dirs
 * <dir>} with the same environment and working directory as {@code serve} (through the same {@link
 * ShimmyLauncher}). The answer has ids only: files are empty and sizes -1.
 */
public final class CliDiscoveryRunner implements DiscoveryRunner {

  private final ShimmyLauncher launcher;
  private final Duration timeout;

  /**
   * @param launcher how to run Shimmy (share the supervisor's)
   * @param timeout how long {@code list} may take (Shimmy scans HOME caches; 60 s is generous)
   */
  public CliDiscoveryRunner(ShimmyLauncher launcher, Duration timeout) {
    this.launcher = launcher;
    this.timeout = timeout;
  }

  /** A runner for {@code command} with the default isolation and a 60 s timeout. */
  public static CliDiscoveryRunner of(List<String> command) {
    return new CliDiscoveryRunner(
        ShimmyLauncher.newBuilder(command).build(), Duration.ofSeconds(60));
  }

  @Override
  public List<DiscoveredModel> discover(Path modelDir) {
    ProcessBuilder pb =
        launcher.processBuilder(modelDir, ShimmyLauncher.listArguments(modelDir), false);
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + launcher.command().get(0), e);
    }
    try {
      process.getOutputStream().close();
      CompletableFuture<byte[]> err = readInBackground(process.getErrorStream(), "stderr");
      CompletableFuture<byte[]> stdout = readInBackground(process.getInputStream(), "stdout");
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new UncheckedIOException(
            new IOException("shimmy list did not finish within " + timeout));
      }
      if (process.exitValue() != 0) {
        String stderr = new String(err.join(), StandardCharsets.UTF_8).strip();
        throw new UncheckedIOException(
            new IOException("shimmy list exited with code " + process.exitValue() + ": " + stderr));
      }
      TreeSet<String> ids = new TreeSet<>();
      for (String line : new String(stdout.join(), StandardCharsets.UTF_8).split("\n")) {
        String id = line.strip();
        if (!id.isEmpty()) {
          ids.add(id);
        }
      }
      List<DiscoveredModel> models = new ArrayList<>();
      for (String id : ids) {
        models.add(new DiscoveredModel(id, List.of(), -1));
      }
      return List.copyOf(models);
    } catch (IOException e) {
      throw new UncheckedIOException("shimmy list failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while running shimmy list", e));
    } finally {
      process.destroyForcibly();
    }
  }

  private static CompletableFuture<byte[]> readInBackground(InputStream in, String name) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    DaemonThreads.thread(() -> result.complete(readAll(in)), "shimmy-list-" + name).start();
    return result;
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      in.transferTo(buf);
      return buf.toByteArray();
    } catch (IOException e) {
      return new byte[0];
    }
  }
}
