package io.github.shimmypull.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.FakeShimmy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AskShimmyTest {

  @TempDir Path modelDir;

  @Test
  void pullsTheModelStartsShimmyAndPrintsItsAnswer() throws Exception {
    FakeHuggingFace hub =
        FakeHuggingFace.builder()
            .file("acme/tiny-GGUF", "tiny-Q4_K_M.gguf", FakeFile.seeded(128 * 1024, 7))
            .build();
    try (MockWebServer server = new MockWebServer()) {
      server.setDispatcher(hub);
      server.start(InetAddress.getByName("127.0.0.1"), 0);
      ByteArrayOutputStream output = new ByteArrayOutputStream();

      int exit =
          AskShimmy.run(
              new String[] {
                "acme/tiny-GGUF:Q4_K_M",
                "Why is the sky blue?",
                "--model-dir",
                modelDir.toString(),
                "--shimmy-command",
                FakeShimmy.commandLine(),
                "--hf-endpoint",
                server.url("/").toString()
              },
              new PrintStream(output, true, StandardCharsets.UTF_8));

      String printed = output.toString(StandardCharsets.UTF_8);
      assertThat(exit).isZero();
      assertThat(Files.size(modelDir.resolve("tiny-Q4_K_M.gguf"))).isEqualTo(128 * 1024);
      assertThat(printed).contains("model tiny-q4-k-m is in", "answer: Hello from tiny-q4-k-m");
    }
  }

  @Test
  void withoutAQuestionItPrintsTheUsage() {
    assertThatThrownBy(() -> AskShimmy.run(new String[] {"acme/tiny-GGUF"}, System.out))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("usage: AskShimmy");
  }
}
