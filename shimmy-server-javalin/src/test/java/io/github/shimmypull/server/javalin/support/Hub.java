package io.github.shimmypull.server.javalin.support;

import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import mockwebserver3.MockWebServer;

/** A fake Hugging Face Hub on 127.0.0.1 with the repos the end-to-end tests pull from. */
public final class Hub implements AutoCloseable {

  /** The reference deployment's model. */
  public static final String TINYLLAMA_REPO = "TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF";

  public static final String TINYLLAMA_REF = TINYLLAMA_REPO + ":Q2_K";
  public static final String TINYLLAMA_FILE = "tinyllama-1.1b-chat-v1.0.Q2_K.gguf";
  public static final String TINYLLAMA_ID = "tinyllama-1.1b-chat-v1.0.q2-k";

  /** A second model, for conflicts and blue-green restarts. */
  public static final String OTHER_REPO = "acme/other-GGUF";

  public static final String OTHER_REF = OTHER_REPO + ":Q4_K_M";
  public static final String OTHER_FILE = "other.Q4_K_M.gguf";
  public static final String OTHER_ID = "other.q4-k-m";

  /** A gated repo. */
  public static final String GATED_REPO = "meta/gated-GGUF";

  public static final int TINYLLAMA_SIZE = 3 * 1024 * 1024 + 17;

  private final MockWebServer server;
  private final FakeHuggingFace hub;

  private Hub(MockWebServer server, FakeHuggingFace hub) {
    this.server = server;
    this.hub = hub;
  }

  public static Hub start() {
    FakeHuggingFace hub =
        FakeHuggingFace.builder()
            .file(TINYLLAMA_REPO, TINYLLAMA_FILE, FakeFile.seeded(TINYLLAMA_SIZE, 1))
            .file(
                TINYLLAMA_REPO,
                "tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf",
                FakeFile.seeded(64 * 1024, 2))
            .file(OTHER_REPO, OTHER_FILE, FakeFile.seeded(256 * 1024, 3))
            .file(GATED_REPO, "gated.Q4_K_M.gguf", FakeFile.seeded(1024, 4))
            .gated(GATED_REPO)
            .build();
    MockWebServer server = new MockWebServer();
    server.setDispatcher(hub);
    try {
      server.start(InetAddress.getByName("127.0.0.1"), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Hub(server, hub);
  }

  /** The endpoint to give {@code --hf-endpoint}. */
  public String endpoint() {
    String url = server.url("/").toString();
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  public FakeHuggingFace fake() {
    return hub;
  }

  @Override
  public void close() {
    hub.close();
    server.close();
  }
}
