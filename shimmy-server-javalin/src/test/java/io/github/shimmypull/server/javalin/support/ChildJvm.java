package io.github.shimmypull.server.javalin.support;

import io.github.shimmypull.server.javalin.ShimmyServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server jar's main class in a child JVM on the test class path: what {@code java -jar
 * shimmy-server.jar ARGS} does, with its own stdout, stderr and exit code.
 */
public final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private ChildJvm(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /**
   * Starts {@code ShimmyServer ARGS} with {@code env} added to this JVM's environment; output goes
   * to files in {@code workDir}.
   */
  public static ChildJvm start(Path workDir, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ShimmyServer.class.getName());
    command.addAll(List.of(args));
    try {
      Files.createDirectories(workDir);
      Path out = Files.createTempFile(workDir, "stdout", ".txt");
      Path err = Files.createTempFile(workDir, "stderr", ".txt");
      ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
      builder
          .environment()
          .keySet()
          .removeIf(k -> k.startsWith("SHIMMY_PULL_") || k.startsWith("HF_"));
      builder.environment().putAll(env);
      builder
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .redirectInput(ProcessBuilder.Redirect.PIPE);
      Process process = builder.start();
      process.getOutputStream().close();
      return new ChildJvm(process, out, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs a command to its end and returns its result. */
  public static Result run(Path workDir, Map<String, String> env, String... args) {
    try (ChildJvm jvm = start(workDir, env, args)) {
      return jvm.await(Duration.ofSeconds(90));
    }
  }

  /** Waits for the exit. */
  public Result await(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("child JVM did not exit in " + timeout + "; stderr: " + stderr());
      }
      return new Result(process.exitValue(), stdout(), stderr());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public Process process() {
    return process;
  }

  public String stdout() {
    return read(stdout);
  }

  public String stderr() {
    return read(stderr);
  }

  /** Kills the child at once (SIGKILL), like {@code kill -9}. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  private static String read(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Exit code and output of a finished child. */
  public record Result(int exitCode, String stdout, String stderr) {}
}
