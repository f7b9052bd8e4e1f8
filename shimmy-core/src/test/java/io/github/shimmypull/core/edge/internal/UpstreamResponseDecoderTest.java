package io.github.shimmypull.core.edge.internal;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.edge.internal.ResponseHead.MalformedResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UpstreamResponseDecoderTest {

  private static final String CHUNKED =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "6;name=value\r\nhello \r\n"
          + "6\r\nworld!\r\n"
          + "0\r\nX-Trailer: dropped\r\n\r\n";

  @Test
  void aChunkedBodyLosesItsFramingWhereverTheReadsSplitIt() {
    for (int split = 1; split < CHUNKED.length(); split++) {
      Decoded decoded = decode(false, CHUNKED.substring(0, split), CHUNKED.substring(split));
      assertThat(decoded.heads).as("split at %d", split).hasSize(1);
      assertThat(decoded.heads.get(0).body()).isEqualTo(ResponseHead.Body.CHUNKED);
      assertThat(decoded.body).as("split at %d", split).isEqualTo("hello world!");
      assertThat(decoded.ends).as("split at %d", split).isEqualTo(1);
    }
    Decoded byteByByte = decode(false, CHUNKED.split(""));
    assertThat(byteByByte.body).isEqualTo("hello world!");
    assertThat(byteByByte.ends).isEqualTo(1);
  }

  @Test
  void aLengthBodyEndsAfterItsDeclaredBytesAndTheNextHeadStartsFresh() {
    EmbeddedChannel channel = new EmbeddedChannel(new UpstreamResponseDecoder());
    Decoded first = feed(channel, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", "lo");
    Decoded second = feed(channel, "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno");

    assertThat(first.body).isEqualTo("hello");
    assertThat(first.ends).isEqualTo(1);
    assertThat(second.heads.get(0).status()).isEqualTo(404);
    assertThat(second.body).isEqualTo("no");
    assertThat(second.ends).isEqualTo(1);
    assertThat(channel.finishAndReleaseAll()).isFalse();
  }

  @Test
  void theAnswerToAHeadRequestHasNoBodyWhateverItDeclares() {
    Decoded decoded = decode(true, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n");

    assertThat(decoded.heads.get(0).body()).isEqualTo(ResponseHead.Body.NONE);
    assertThat(decoded.body).isEmpty();
    assertThat(decoded.ends).isEqualTo(1);
  }

  @Test
  void anInterimAnswerIsFollowedByTheFinalOne() {
    Decoded decoded =
        decode(
            false, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

    assertThat(decoded.heads).extracting(ResponseHead::status).containsExactly(100, 200);
    assertThat(decoded.heads.get(0).interim()).isTrue();
    assertThat(decoded.body).isEqualTo("ok");
    assertThat(decoded.ends).isEqualTo(1);
  }

  @Test
  void everythingAfterA101GoesOnAsItIs() {
    EmbeddedChannel channel = new EmbeddedChannel(new UpstreamResponseDecoder());
    Decoded decoded =
        feed(
            channel,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                + "\u0081\u0002hi",
            "HTTP/1.1 200 not a head any more");

    assertThat(decoded.heads).extracting(ResponseHead::status).containsExactly(101);
    assertThat(decoded.body).isEqualTo("\u0081\u0002hiHTTP/1.1 200 not a head any more");
    assertThat(decoded.ends).isZero();
    channel.finishAndReleaseAll();
  }

  @Test
  void aBodyWithoutALengthEndsWhenTheUpstreamCloses() {
    EmbeddedChannel channel = new EmbeddedChannel(new UpstreamResponseDecoder());
    Decoded decoded = feed(channel, "HTTP/1.0 200 OK\r\n\r\nabc", "def");
    assertThat(decoded.ends).isZero();

    channel.close();
    collect(channel, decoded);

    assertThat(decoded.heads.get(0).body()).isEqualTo(ResponseHead.Body.UNTIL_CLOSE);
    assertThat(decoded.heads.get(0).keepAlive()).isFalse();
    assertThat(decoded.body).isEqualTo("abcdef");
    assertThat(decoded.ends).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "\r\nHTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n",
      })
  void aMalformedAnswerIsAnErrorThatClosesTheConnection(String answer) {
    EmbeddedChannel channel = new EmbeddedChannel(new UpstreamResponseDecoder());

    assertThatThrownBy(() -> channel.writeInbound(bytes(answer)))
        .isInstanceOf(MalformedResponse.class);
    channel.finishAndReleaseAll();
  }

  @Test
  void aHeadLongerThanTheLimitIsRefusedBeforeItEnds() {
    EmbeddedChannel channel = new EmbeddedChannel(new UpstreamResponseDecoder());
    channel.writeInbound(bytes("HTTP/1.1 200 OK\r\n"));
    String line = "X-Filler: " + "x".repeat(1000) + "\r\n";

    assertThatThrownBy(
            () -> {
              for (int i = 0; i < 100; i++) {
                channel.writeInbound(bytes(line));
              }
            })
        .isInstanceOf(MalformedResponse.class)
        .hasMessageContaining("longer than " + UpstreamResponseDecoder.MAX_HEAD_BYTES);
    channel.finishAndReleaseAll();
  }

  private static Decoded decode(boolean headRequest, String... reads) {
    UpstreamResponseDecoder decoder = new UpstreamResponseDecoder();
    decoder.expect(headRequest);
    EmbeddedChannel channel = new EmbeddedChannel(decoder);
    Decoded decoded = feed(channel, reads);
    assertThat(channel.finishAndReleaseAll()).isFalse();
    return decoded;
  }

  private static Decoded feed(EmbeddedChannel channel, String... reads) {
    Decoded decoded = new Decoded();
    for (String read : reads) {
      channel.writeInbound(bytes(read));
      collect(channel, decoded);
    }
    return decoded;
  }

  private static void collect(EmbeddedChannel channel, Decoded decoded) {
    Object message;
    while ((message = channel.readInbound()) != null) {
      if (message instanceof ResponseHead head) {
        decoded.heads.add(head);
      } else if (message == UpstreamResponseDecoder.END) {
        decoded.ends++;
      } else {
        ByteBuf data = (ByteBuf) message;
        decoded.bodyBuilder.append(data.toString(ISO_8859_1));
        data.release();
      }
    }
    decoded.body = decoded.bodyBuilder.toString();
  }

  private static ByteBuf bytes(String text) {
    return Unpooled.copiedBuffer(text, ISO_8859_1);
  }

  private static final class Decoded {
    final List<ResponseHead> heads = new ArrayList<>();
    final StringBuilder bodyBuilder = new StringBuilder();
    String body = "";
    int ends;
  }
}
