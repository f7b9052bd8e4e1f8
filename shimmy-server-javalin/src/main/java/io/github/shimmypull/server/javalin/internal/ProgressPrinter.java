package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullListener;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Prints a pull's progress: a redrawn bar on a terminal, or plain lines (at most one every two
 * seconds per file, plus 100%) when stdout is a pipe or a file, as in CI logs.
 */
public final class ProgressPrinter implements PullListener {

  private static final int BAR_WIDTH = 30;
  private static final long LINE_INTERVAL_NANOS = 2_000_000_000L;

  private final PrintStream out;
  private final boolean terminal;
  private final LongSupplier nanoClock;
  private String lastFile = "";
  private long lastLineNanos;
  private int lastPercent = -1;
  private boolean barOpen;
  private volatile String currentFile = "";
  private volatile long completed;

  public ProgressPrinter(PrintStream out, boolean terminal, LongSupplier nanoClock) {
    this.out = out;
    this.terminal = terminal;
    this.nanoClock = nanoClock;
  }

  @Override
  public void onEvent(PullEvent event) {
    if (event instanceof PullEvent.Downloading d) {
      downloading(d);
    } else if (event instanceof PullEvent.Resolving r) {
      line("resolving " + r.repo() + "@" + r.revision());
    } else if (event instanceof PullEvent.Verifying v) {
      line("verifying " + v.file());
    } else if (event instanceof PullEvent.Published p) {
      line((p.downloaded() ? "published " : "already present: ") + p.file());
    }
  }

  /** Ends an open bar line so the next output starts on its own line. */
  public void finish() {
    if (barOpen) {
      out.println();
      barOpen = false;
    }
    out.flush();
  }

  /** The file of the latest download progress, or empty before any. */
  public String lastFile() {
    return currentFile;
  }

  /**
   * The bytes of {@link #lastFile()} downloaded so far (kept on disk for a resume when stopped).
   */
  public long lastCompleted() {
    return completed;
  }

  private void downloading(PullEvent.Downloading d) {
    currentFile = d.file();
    completed = d.completed();
    long now = nanoClock.getAsLong();
    boolean done = d.total() > 0 && d.completed() >= d.total();
    int percent = d.total() > 0 ? (int) Math.min(100, d.completed() * 100 / d.total()) : 0;
    if (terminal) {
      int filled = percent * BAR_WIDTH / 100;
      String bar =
          "=".repeat(filled)
              + (filled < BAR_WIDTH ? ">" : "")
              + " ".repeat(Math.max(0, BAR_WIDTH - filled - 1));
      out.print(
          String.format(
              Locale.ROOT,
              "\r%s [%s] %3d%% %s / %s",
              d.file(),
              bar,
              percent,
              size(d.completed()),
              size(d.total())));
      barOpen = true;
      if (done) {
        finish();
      }
      out.flush();
      return;
    }
    boolean newFile = !d.file().equals(lastFile);
    boolean due = now - lastLineNanos >= LINE_INTERVAL_NANOS;
    if (newFile || (done && lastPercent < 100) || (due && percent != lastPercent)) {
      out.println(
          String.format(
              Locale.ROOT,
              "downloading %s: %d%% (%d/%d bytes)",
              d.file(),
              percent,
              d.completed(),
              d.total()));
      out.flush();
      lastFile = d.file();
      lastLineNanos = now;
      lastPercent = percent;
    }
  }

  private void line(String text) {
    finish();
    out.println(text);
    out.flush();
  }

  /** Human size: {@code 482.1 MiB}. */
  public static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
