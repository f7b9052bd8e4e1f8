package io.github.shimmypull.compat;

import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import mockwebserver3.MockWebServer;

/**
 * The fake Hugging Face Hub on 127.0.0.1 with small GGUF repos the clients pull by {@code
 * hf.co/...} name.
 */
final class FakeHub implements AutoCloseable {

  /** The model of examples/spring-ai-app, as an Ollama client names it. */
  static final String TINYLLAMA = "hf.co/TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF:Q2_K";

  /** A second model, pulled for the LangChain4j Ollama tests. */
  static final String OTHER = "hf.co/acme/other-GGUF:Q4_K_M";

  /** A third model, pulled only to be deleted. */
  static final String SPARE = "hf.co/acme/spare-GGUF:Q8_0";

  private final MockWebServer server;
  private final FakeHuggingFace hub;

  private FakeHub(MockWebServer server, FakeHuggingFace hub) {
    this.server = server;
    this.hub = hub;
  }

  static FakeHub start() {
    FakeHuggingFace hub =
        FakeHuggingFace.builder()
            .file(
                "TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF",
                "tinyllama-1.1b-chat-v1.0.Q2_K.gguf",
                FakeFile.of(Gguf.llama("TinyLlama 1.1B Chat v1.0", 10, 96 * 1024)))
            .file(
                "TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF",
                "tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf",
                FakeFile.of(Gguf.llama("TinyLlama 1.1B Chat v1.0", 15, 64 * 1024)))
            .file(
                "acme/other-GGUF",
                "other.Q4_K_M.gguf",
                FakeFile.of(Gguf.llama("Other", 15, 48 * 1024)))
            .file(
                "acme/spare-GGUF",
                "spare.Q8_0.gguf",
                FakeFile.of(Gguf.llama("Spare", 7, 32 * 1024)))
            .build();
    MockWebServer server = new MockWebServer();
    server.setDispatcher(hub);
    try {
      server.start(InetAddress.getByName("127.0.0.1"), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new FakeHub(server, hub);
  }

  /** The endpoint for {@code --hf-endpoint} or {@code hfEndpoint}, without a trailing slash. */
  String endpoint() {
    String url = server.url("/").toString();
    return url.substring(0, url.length() - 1);
  }

  @Override
  public void close() {
    hub.close();
    server.close();
  }
}
