package io.github.shimmypull.server.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.server.javalin.support.Api;
import io.github.shimmypull.server.javalin.support.Hub;
import io.github.shimmypull.server.javalin.support.Servers;
import io.github.shimmypull.supervisor.ExternalShimmySupervisor;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The serve options that reach beyond the runtime: --shimmy-url, --disk-reserve-bytes,
 * --body-read-timeout.
 */
class ServeOptionsEndToEndTest extends FrontServerFixture {

  private Process externalShimmy;

  @AfterEach
  void stopExternalShimmy() throws InterruptedException {
    if (externalShimmy != null) {
      externalShimmy.destroyForcibly().waitFor();
    }
  }

  @Test
  void withAShimmyUrlTheServerFrontsTheShimmyAlreadyRunningThereAndRunsNoneOfItsOwn()
      throws Exception {
    Path servedDir = tmp.resolve("external-models");
    Files.createDirectories(servedDir);
    FakeShimmy.writeGguf(servedDir.resolve("served-Q4_K_M.gguf"), 64);
    int shimmyPort = freePort();
    List<String> command = new ArrayList<>(FakeShimmy.command());
    command.addAll(
        List.of(
            "serve", "--bind", "127.0.0.1:" + shimmyPort, "--model-dirs", servedDir.toString()));
    externalShimmy =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();

    // A Shimmy command that cannot run: only the external Shimmy can make the backend ready.
    startServer("no-such-shimmy-executable", "--shimmy-url", "http://127.0.0.1:" + shimmyPort);

    assertThat(server.runtime().supervisor()).isInstanceOf(ExternalShimmySupervisor.class);
    Await.until(
        Duration.ofSeconds(60),
        "the external Shimmy reported ready",
        () -> api.get("/v1/health").body().contains("\"state\":\"ready\""));
    Api.Reply chat =
        api.postJson(
            "/v1/chat/completions",
            "{\"model\": \"served-q4-k-m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": false}");
    assertThat(chat.status()).as(chat.body()).isEqualTo(200);
  }

  @Test
  void aDiskReserveLargerThanTheFreeSpaceRefusesAPullWith507BeforeAnyByteIsDownloaded() {
    server =
        Servers.serve(
            modelDir,
            hub,
            FakeShimmy.commandLine(),
            runtime -> {},
            "--disk-reserve-bytes",
            "1000000TiB");
    api = Servers.api(server);

    Api.Reply pull =
        api.postJson(
            "/v1/api/pull", "{\"model\": \"" + Hub.TINYLLAMA_REF + "\", \"stream\": false}");

    assertThat(pull.status()).as(pull.body()).isEqualTo(507);
    assertThat(pull.body()).contains("\"code\":\"insufficient_storage\"");
  }

  @Test
  void aBodyReadTimeoutFromTheCommandLineAnswers408ToAClientThatStopsSendingItsBody()
      throws Exception {
    startServer(FakeShimmy.commandLine(), "--body-read-timeout", "300ms");

    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      // Far below the edge's default of 30 s: only the option can make the answer arrive in time.
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/api/pull HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  + "Content-Length: 100\r\n\r\n{\"model\":")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String answer = new String(in.readNBytes(12), StandardCharsets.US_ASCII);

      assertThat(answer).isEqualTo("HTTP/1.1 408");
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
