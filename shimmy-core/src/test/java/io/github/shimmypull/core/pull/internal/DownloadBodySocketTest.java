package io.github.shimmypull.core.pull.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fetcher fills its buffer only while the body's socket has bytes ready (see {@link
 * BodySocket}).
 */
@Timeout(60)
class DownloadBodySocketTest {

  @Test
  void aSocketIsReadableOnlyWhileBytesAreWaitingOnIt() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(server.getInetAddress(), server.getLocalPort());
        Socket peer = server.accept()) {
      BodySocket holder = new BodySocket();
      assertThat(holder.readable()).isFalse();
      holder.socket = client;
      assertThat(holder.readable()).isFalse();

      peer.getOutputStream().write("bytes".getBytes(StandardCharsets.US_ASCII));
      peer.getOutputStream().flush();
      Await.until("the bytes are ready to read", holder::readable);

      assertThat(client.getInputStream().readNBytes(5)).hasSize(5);
      assertThat(holder.readable()).isFalse();
    }
  }

  @Test
  void theNetworkInterceptorHandsTheDownloadRequestItsSocket() throws Exception {
    FakeHuggingFace hub =
        FakeHuggingFace.builder().file("acme/x-GGUF", "x.gguf", FakeFile.seeded(1024, 1)).build();
    try (MockWebServer server = new MockWebServer()) {
      server.setDispatcher(hub);
      server.start(InetAddress.getLoopbackAddress(), 0);
      OkHttpClient client =
          new OkHttpClient.Builder().addNetworkInterceptor(BodySocket.INTERCEPTOR).build();
      Request request =
          BodySocket.attach(new Request.Builder().url(server.url("/api/models/acme/x-GGUF")))
              .build();

      try (Response response = client.newCall(request).execute()) {
        BodySocket holder = response.request().tag(BodySocket.class);
        assertThat(holder).isNotNull();
        assertThat(holder.socket).isNotNull();
      }
    } finally {
      hub.close();
    }
  }
}
