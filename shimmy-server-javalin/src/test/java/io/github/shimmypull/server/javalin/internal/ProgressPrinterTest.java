package io.github.shimmypull.server.javalin.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.pull.PullEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Progress output of {@code pull}: a redrawn bar on a terminal, throttled plain lines elsewhere.
 */
class ProgressPrinterTest {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final AtomicLong nanos = new AtomicLong();

  private String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void plainOutputPrintsAtMostOneLineEveryTwoSecondsPlusTheEnd() {
    ProgressPrinter printer = new ProgressPrinter(out, false, nanos::get);

    for (int i = 1; i <= 100; i++) {
      nanos.addAndGet(100_000_000L);
      printer.onEvent(new PullEvent.Downloading("x.gguf", 100, i, 100, i));
    }
    printer.finish();

    String[] lines = text().split("\n");
    assertThat(lines).hasSizeBetween(5, 7).doesNotContain("\r");
    assertThat(lines[0]).isEqualTo("downloading x.gguf: 1% (1/100 bytes)");
    assertThat(lines[lines.length - 1]).isEqualTo("downloading x.gguf: 100% (100/100 bytes)");
  }

  @Test
  void aTerminalGetsOneRedrawnBarLine() {
    ProgressPrinter printer = new ProgressPrinter(out, true, nanos::get);

    printer.onEvent(new PullEvent.Downloading("x.gguf", 2048, 1024, 2048, 1024));
    printer.onEvent(new PullEvent.Downloading("x.gguf", 2048, 2048, 2048, 2048));
    printer.onEvent(new PullEvent.Verifying("x.gguf"));

    assertThat(text())
        .startsWith("\rx.gguf [")
        .contains(" 50% 1.0 KiB / 2.0 KiB")
        .contains("100% 2.0 KiB / 2.0 KiB\n")
        .endsWith("verifying x.gguf\n");
  }

  @Test
  void sizesAreHumanReadable() {
    assertThat(ProgressPrinter.size(512)).isEqualTo("512 B");
    assertThat(ProgressPrinter.size(3 * 1024 * 1024 + 17)).isEqualTo("3.0 MiB");
    assertThat(ProgressPrinter.size(5L * 1024 * 1024 * 1024)).isEqualTo("5.0 GiB");
  }
}
