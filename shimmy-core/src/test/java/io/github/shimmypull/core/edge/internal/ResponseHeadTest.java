package io.github.shimmypull.core.edge.internal;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class ResponseHeadTest {

  @Test
  void forwardsItsLinesAsTheyArrivedWithoutHopByHopOnesOrTheNamesConnectionLists() {
    ResponseHead head =
        parse(
            "HTTP/1.1 200 Fine Thanks\r\n"
                + "Content-Type: application/json\r\n"
                + "Connection: keep-alive, X-Secret\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "Proxy-Authenticate: Basic\r\n"
                + "x-secret: 1\r\n"
                + "Upgrade: h2c\r\n"
                + "X-Request-Id:  abc \r\n"
                + "Content-Length: 2\r\n"
                + "\r\n");

    assertThat(written(head, false, null))
        .isEqualTo(
            "HTTP/1.1 200 Fine Thanks\r\n"
                + "Content-Type: application/json\r\n"
                + "X-Request-Id:  abc \r\n"
                + "Content-Length: 2\r\n"
                + "\r\n");
    assertThat(head.body()).isEqualTo(ResponseHead.Body.LENGTH);
    assertThat(head.contentLength()).isEqualTo(2);
    assertThat(head.keepAlive()).isTrue();
  }

  @Test
  void aTransferEncodingOutranksAContentLengthWhichIsNotForwarded() {
    ResponseHead head =
        parse("HTTP/1.1 200 OK\nContent-Length: 10\nTransfer-Encoding: gzip, chunked\nX-A: b\n\n");

    assertThat(head.body()).isEqualTo(ResponseHead.Body.CHUNKED);
    assertThat(written(head, true, "connection: close\r\n"))
        .isEqualTo(
            "HTTP/1.1 200 OK\r\nX-A: b\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n");
  }

  @Test
  void anHttp10AnswerIsWrittenAsHttp11AndKeepsItsConnectionOnlyWhenItSaysSo() {
    assertThat(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive()).isFalse();
    assertThat(
            parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n")
                .keepAlive())
        .isTrue();
    assertThat(
            parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keepAlive())
        .isFalse();
    assertThat(written(parse("HTTP/1.0 204\r\n\r\n"), false, null))
        .isEqualTo("HTTP/1.1 204 \r\n\r\n");
  }

  @Test
  void aBodyWithoutLengthOrChunkingRunsUntilTheConnectionCloses() {
    ResponseHead head = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");

    assertThat(head.body()).isEqualTo(ResponseHead.Body.UNTIL_CLOSE);
    assertThat(head.keepAlive()).isFalse();
    assertThat(parse("HTTP/1.1 200 OK\r\n\r\n").body()).isEqualTo(ResponseHead.Body.UNTIL_CLOSE);
    assertThat(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n").body())
        .isEqualTo(ResponseHead.Body.NONE);
  }

  @Test
  void findsTheEndOfAHeadWithCrlfOrBareLineFeeds() {
    assertThat(ResponseHead.headEnd(bytes("HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody"))).isEqualTo(25);
    assertThat(ResponseHead.headEnd(bytes("HTTP/1.1 200 OK\nA: b\n\nbody"))).isEqualTo(22);
    assertThat(ResponseHead.headEnd(bytes("HTTP/1.1 200 OK\r\nA: b\r\n\r"))).isEqualTo(-1);
    assertThat(ResponseHead.headEnd(bytes("HTTP/1.1 200 OK\r\nA: b\r\n"))).isEqualTo(-1);
  }

  private static ResponseHead parse(String head) {
    return ResponseHead.parse(head.getBytes(ISO_8859_1), false);
  }

  private static String written(ResponseHead head, boolean chunked, String extra) {
    ByteBuf out = Unpooled.buffer();
    head.writeTo(out, chunked, extra);
    String text = out.toString(ISO_8859_1);
    out.release();
    return text;
  }

  private static ByteBuf bytes(String text) {
    return Unpooled.copiedBuffer(text, ISO_8859_1);
  }
}
