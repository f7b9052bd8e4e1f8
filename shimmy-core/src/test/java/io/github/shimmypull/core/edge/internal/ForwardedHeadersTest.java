package io.github.shimmypull.core.edge.internal;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

class ForwardedHeadersTest {

  @Test
  void shimmyGetsItsOwnHostTheClientsAsForwardedHostAndNoHopByHopHeaders() {
    HttpRequest request = request(HttpVersion.HTTP_1_0, "POST", "/v1/chat/completions?x=1");
    request
        .headers()
        .add("Host", "api.example.com")
        .add("Connection", "keep-alive, X-Hop")
        .add("X-Hop", "secret")
        .add("Keep-Alive", "timeout=5")
        .add("Proxy-Authorization", "Basic abc")
        .add("TE", "trailers")
        .add("Content-Type", "application/json")
        .add("X-Forwarded-For", "10.0.0.1")
        .add("x-forwarded-for", "10.0.0.2")
        .add("X-Forwarded-Proto", "https")
        .add("Content-Length", "2");
    ForwardedHeaders forwarded = new ForwardedHeaders(request.headers());
    forwarded.prepare(request, "127.0.0.9", false);

    assertThat(written(forwarded, request, "127.0.0.1:9001", false))
        .isEqualTo(
            "POST /v1/chat/completions?x=1 HTTP/1.1\r\n"
                + "host: 127.0.0.1:9001\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: 2\r\n"
                + "x-forwarded-for: 10.0.0.1, 10.0.0.2, 127.0.0.9\r\n"
                + "x-forwarded-host: api.example.com\r\n"
                + "x-forwarded-proto: http\r\n"
                + "\r\n");
    assertThat(request.headers().get("Connection")).isEqualTo("keep-alive, X-Hop");
    assertThat(request.headers().size()).isEqualTo(11);
  }

  @Test
  void theApplicationGetsTheClientsHostAndForwardedHeadersAndAChunkedBodyStaysChunked() {
    HttpRequest request = request(HttpVersion.HTTP_1_1, "PUT", "/v1/api/models/a");
    request
        .headers()
        .add("Host", "edge:8080")
        .add("Transfer-Encoding", "chunked")
        .add("X-Forwarded-Host", "outer")
        .add("Upgrade", "h2c");
    ForwardedHeaders forwarded = new ForwardedHeaders(request.headers());
    forwarded.prepare(request, "::1", true);

    assertThat(forwarded.chunked()).isTrue();
    assertThat(written(forwarded, request, null, false))
        .isEqualTo(
            "PUT /v1/api/models/a HTTP/1.1\r\n"
                + "host: edge:8080\r\n"
                + "x-forwarded-for: ::1\r\n"
                + "x-forwarded-host: outer\r\n"
                + "transfer-encoding: chunked\r\n"
                + "\r\n");
  }

  @Test
  void aWebSocketUpgradeIsForwardedToShimmyButNotToTheApplication() {
    HttpRequest request = request(HttpVersion.HTTP_1_1, "GET", "/ws/generate");
    request
        .headers()
        .add("Host", "edge")
        .add("Connection", "Upgrade")
        .add("Upgrade", "websocket")
        .add("Sec-WebSocket-Key", "k");
    ForwardedHeaders forwarded = new ForwardedHeaders(request.headers());
    forwarded.prepare(request, "127.0.0.1", false);

    assertThat(written(forwarded, request, "127.0.0.1:9001", true))
        .endsWith("x-forwarded-proto: http\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n")
        .contains("Sec-WebSocket-Key: k\r\n");
    assertThat(written(forwarded, request, null, true))
        .doesNotContainIgnoringCase("upgrade: websocket")
        .doesNotContainIgnoringCase("connection:");
  }

  private static HttpRequest request(HttpVersion version, String method, String uri) {
    return new DefaultHttpRequest(version, HttpMethod.valueOf(method), uri);
  }

  private static String written(
      ForwardedHeaders forwarded, HttpRequest request, String shimmy, boolean webSocket) {
    ByteBuf out = Unpooled.buffer();
    forwarded.writeHead(out, request, shimmy, webSocket);
    String text = out.toString(ISO_8859_1);
    out.release();
    return text;
  }
}
