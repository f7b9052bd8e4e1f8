package io.github.shimmypull.testkit;

import io.github.shimmypull.testkit.internal.shimmy.FakeShimmyProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;

/**
 * A fake Shimmy 2.5.0: a runnable main that behaves like the real server from outside (command
 * line, model scan and naming, console lines, exit codes, HTTP API, SSE chunks), so a supervisor or
 * proxy can be tested against a real child process without a GPU or model weights.
 *
 * <p>Launch it with {@link #command()} as the "shimmy command", e.g. {@code command() + [serve,
 * --bind, 127.0.0.1:PORT, --model-dirs, DIR]}. Fault injection comes from environment variables
 * (all optional):
 *
 * <ul>
 *   <li>{@value #STARTUP_DELAY_MS}: milliseconds to wait before scanning and binding (slow start)
 *   <li>{@value #TOKEN_DELAY_MS}: milliseconds to wait before each generated token
 *   <li>{@value #TOKENS}: tokens per generation (default 3, capped by {@code max_tokens}); the text
 *       cycles {@code "Hello", " from", " <pinned model id>"}
 *   <li>{@value #CRASH_AFTER_MS}: exit {@value #CRASH_EXIT_CODE} this many ms after binding
 *   <li>{@value #CRASH_AFTER_REQUESTS}: exit when the Nth inference request arrives (before
 *       answering it); inference = {@code /api/generate}, {@code /v1/chat/completions}, {@code
 *       /v1/completions}, {@code /v1/messages}
 *   <li>{@value #CRASH_EXIT_CODE}: exit code of those crashes (default 101, a Rust panic)
 *   <li>{@value #FAULT_MODEL}: the two crash knobs apply only when a scanned id contains this text
 *   <li>{@value #REFUSE_START}: {@code serve} prints an error and exits with this code at once
 *   <li>{@value #HANG}: {@code true}: {@code serve} never prints anything and never binds
 *   <li>{@value #READY_NO_BIND}: {@code true}: {@code serve} prints the ready lines, then never
 *       binds
 *   <li>{@value #CRASH_MID_STREAM_ON}: a streamed generation whose request contains this text
 *       crashes the process after its first token
 * </ul>
 *
 * <p>Like the real one it handles no signal: SIGTERM ends it at once.
 */
public final class FakeShimmy {

  /** Milliseconds to wait before the scan and bind. */
  public static final String STARTUP_DELAY_MS = "FAKE_SHIMMY_STARTUP_DELAY_MS";

  /** Milliseconds to wait before each generated token. */
  public static final String TOKEN_DELAY_MS = "FAKE_SHIMMY_TOKEN_DELAY_MS";

  /** Tokens per generation (default 3). */
  public static final String TOKENS = "FAKE_SHIMMY_TOKENS";

  /** Crash this many ms after binding. */
  public static final String CRASH_AFTER_MS = "FAKE_SHIMMY_CRASH_AFTER_MS";

  /** Crash on the Nth inference request. */
  public static final String CRASH_AFTER_REQUESTS = "FAKE_SHIMMY_CRASH_AFTER_REQUESTS";

  /** Exit code of a knob-triggered crash (default 101). */
  public static final String CRASH_EXIT_CODE = "FAKE_SHIMMY_CRASH_EXIT_CODE";

  /** {@code serve} refuses to start and exits with this code. */
  public static final String REFUSE_START = "FAKE_SHIMMY_REFUSE_START";

  /** {@code serve} hangs before printing or binding. */
  public static final String HANG = "FAKE_SHIMMY_HANG";

  /** {@code serve} prints the ready lines and then never binds. */
  public static final String READY_NO_BIND = "FAKE_SHIMMY_READY_NO_BIND";

  /**
   * {@code serve} exits 1 with an error line on stderr when the scan finds a model whose id
   * contains this text (a model Shimmy cannot start with).
   */
  public static final String REFUSE_MODEL = "FAKE_SHIMMY_REFUSE_MODEL";

  /**
   * A streamed generation ({@code /v1/chat/completions} or {@code /api/generate}) whose request
   * JSON contains this text sends its first token, then the process exits with {@value
   * #CRASH_EXIT_CODE} (default 101): a Shimmy that dies in the middle of a stream, for one chosen
   * request, while every other request is served normally.
   */
  public static final String CRASH_MID_STREAM_ON = "FAKE_SHIMMY_CRASH_MID_STREAM_ON";

  /**
   * With this set, {@value #CRASH_AFTER_MS} and {@value #CRASH_AFTER_REQUESTS} apply only to a
   * {@code serve} whose scan finds a model id containing this text (one instance per model: crash
   * one model's instances only).
   */
  public static final String FAULT_MODEL = "FAKE_SHIMMY_FAULT_MODEL";

  /** The version {@code --version} reports. */
  public static final String VERSION = FakeShimmyProcess.VERSION;

  private FakeShimmy() {}

  /** Runs the fake Shimmy; see the class comment. */
  public static void main(String[] args) {
    FakeShimmyProcess.dieAtOnceOnSignals();
    int code = FakeShimmyProcess.run(args);
    if (code >= 0) {
      System.exit(code);
    }
  }

  /**
   * The command that launches the fake: {@code <java.home>/bin/java}, JVM flags for a fast start,
   * {@code -cp} with the location this class was loaded from, and the main class. Append Shimmy's
   * arguments to it.
   */
  public static List<String> command() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-Xshare:auto");
    cmd.add("-Xss512k");
    cmd.add("-XX:CICompilerCount=1");
    cmd.add("-Xmx64m");
    cmd.add("-cp");
    cmd.add(classpath().toString());
    cmd.add(FakeShimmy.class.getName());
    return List.copyOf(cmd);
  }

  /**
   * {@link #command()} as one string, quoted for a POSIX shell (e.g. for {@code --shimmy-command}).
   */
  public static String commandLine() {
    StringBuilder sb = new StringBuilder();
    for (String part : command()) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append('\'').append(part.replace("'", "'\\''")).append('\'');
    }
    return sb.toString();
  }

  /** The directory or jar this class was loaded from. */
  public static Path classpath() {
    CodeSource source = FakeShimmy.class.getProtectionDomain().getCodeSource();
    if (source == null) {
      throw new IllegalStateException("cannot tell where FakeShimmy was loaded from");
    }
    try {
      return Paths.get(source.getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("bad code source " + source.getLocation(), e);
    }
  }

  /**
   * Writes a small fake GGUF file: the {@code GGUF} magic, version 3, then zero padding up to
   * {@code sizeBytes} (at least 8). Creates parent directories. Returns {@code file}.
   */
  public static Path writeGguf(Path file, int sizeBytes) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      try (OutputStream out = Files.newOutputStream(file)) {
        out.write("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[] {3, 0, 0, 0});
        byte[] zeros = new byte[Math.min(8192, Math.max(0, sizeBytes - 8))];
        int left = Math.max(0, sizeBytes - 8);
        while (left > 0) {
          int n = Math.min(left, zeros.length);
          out.write(zeros, 0, n);
          left -= n;
        }
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write fake GGUF " + file, e);
    }
  }

  /** {@link #writeGguf(Path, int)} with 64 bytes. */
  public static Path writeGguf(Path file) {
    return writeGguf(file, 64);
  }
}
