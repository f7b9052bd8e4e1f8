package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.proxy.internal.HopByHopHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Writes a client's request head as the forwarded one, straight into bytes: hop-by-hop headers (and
 * the names {@code Connection} lists) left out, {@code X-Forwarded-For} extended, and {@code
 * Host}/{@code X-Forwarded-*} set for Shimmy or kept as the client sent them for the application (a
 * request can change route before it is answered). The client's head is read once and never
 * changed.
 */
final class ForwardedHeaders {

  private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  private static final byte[] HTTP_1_1_CRLF = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] COLON_SPACE = {':', ' '};
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] CHUNKED_LINE =
      "transfer-encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] UPGRADE_LINES =
      "connection: upgrade\r\nupgrade: websocket\r\n".getBytes(StandardCharsets.US_ASCII);

  private @Nullable String originalHost;
  private @Nullable String originalForwardedHost;
  private @Nullable String originalForwardedProto;
  private @Nullable String originalForwardedFor;
  private @Nullable List<String> connection;
  private @Nullable Set<String> listed;
  private String forwardedFor = "";
  private boolean chunked;

  /**
   * Reads the client's {@code Host}, {@code X-Forwarded-*} and {@code Connection} in one pass over
   * its headers.
   */
  ForwardedHeaders(HttpHeaders client) {
    Iterator<Map.Entry<CharSequence, CharSequence>> entries = client.iteratorCharSequence();
    while (entries.hasNext()) {
      Map.Entry<CharSequence, CharSequence> header = entries.next();
      CharSequence name = header.getKey();
      switch (name.length()) {
        case 4 -> {
          if (originalHost == null && is(name, HttpHeaderNames.HOST)) {
            originalHost = header.getValue().toString();
          }
        }
        case 10 -> {
          if (is(name, HttpHeaderNames.CONNECTION)) {
            List<String> values = connection;
            if (values == null) {
              values = new ArrayList<>(1);
              connection = values;
            }
            values.add(header.getValue().toString());
          }
        }
        case 15 -> {
          if (is(name, X_FORWARDED_FOR)) {
            String value = header.getValue().toString();
            String before = originalForwardedFor;
            originalForwardedFor = before == null ? value : before + ", " + value;
          }
        }
        case 16 -> {
          if (originalForwardedHost == null && is(name, X_FORWARDED_HOST)) {
            originalForwardedHost = header.getValue().toString();
          }
        }
        case 17 -> {
          if (originalForwardedProto == null && is(name, X_FORWARDED_PROTO)) {
            originalForwardedProto = header.getValue().toString();
          }
        }
        default -> {}
      }
    }
  }

  /**
   * Completes what the forwarded heads need: {@code X-Forwarded-For} with the client's address, the
   * names {@code Connection} lists, and whether the body goes on chunked.
   *
   * @param transferEncoding whether the client's head has a {@code Transfer-Encoding}
   */
  void prepare(HttpRequest request, String clientAddress, boolean transferEncoding) {
    chunked =
        transferEncoding
            && request
                .headers()
                .containsValue(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED, true);
    String before = originalForwardedFor;
    forwardedFor = before == null ? clientAddress : before + ", " + clientAddress;
    List<String> values = connection;
    if (values != null) {
      listed = HopByHopHeaders.listedInConnection(values);
    }
  }

  /** True when the body goes upstream in chunks (the client sent it chunked). */
  boolean chunked() {
    return chunked;
  }

  /**
   * Writes the forwarded head of {@code request}: to Shimmy at {@code shimmyAuthority} (its own
   * {@code Host}, the client's as {@code X-Forwarded-Host}, and the upgrade of a WebSocket), or,
   * when that is null, to the application with the client's {@code Host} and {@code
   * X-Forwarded-Host/Proto}.
   */
  void writeHead(
      ByteBuf out, HttpRequest request, @Nullable String shimmyAuthority, boolean webSocket) {
    ByteBufUtil.copy(request.method().asciiName(), out);
    out.writeByte(' ');
    out.writeCharSequence(request.uri(), StandardCharsets.UTF_8);
    out.writeBytes(HTTP_1_1_CRLF);
    boolean toShimmy = shimmyAuthority != null;
    line(out, HttpHeaderNames.HOST, toShimmy ? shimmyAuthority : originalHost);
    Set<String> extra = listed;
    Iterator<Map.Entry<CharSequence, CharSequence>> entries =
        request.headers().iteratorCharSequence();
    while (entries.hasNext()) {
      Map.Entry<CharSequence, CharSequence> header = entries.next();
      CharSequence name = header.getKey();
      if (HopByHopHeaders.isHopByHop(name)
          || isForwarding(name)
          || (extra != null && extra.contains(name.toString().toLowerCase(Locale.ROOT)))) {
        continue;
      }
      line(out, name, header.getValue());
    }
    line(out, X_FORWARDED_FOR, forwardedFor);
    line(out, X_FORWARDED_HOST, toShimmy ? originalHost : originalForwardedHost);
    line(out, X_FORWARDED_PROTO, toShimmy ? "http" : originalForwardedProto);
    if (chunked) {
      out.writeBytes(CHUNKED_LINE);
    }
    if (toShimmy && webSocket) {
      out.writeBytes(UPGRADE_LINES);
    }
    out.writeBytes(CRLF);
  }

  private static void line(ByteBuf out, CharSequence name, @Nullable CharSequence value) {
    if (value == null) {
      return;
    }
    ByteBufUtil.writeAscii(out, name);
    out.writeBytes(COLON_SPACE);
    ByteBufUtil.writeAscii(out, value);
    out.writeBytes(CRLF);
  }

  /** {@code Host} and the {@code X-Forwarded-*} this class writes itself. */
  private static boolean isForwarding(CharSequence name) {
    return switch (name.length()) {
      case 4 -> is(name, HttpHeaderNames.HOST);
      case 15 -> is(name, X_FORWARDED_FOR);
      case 16 -> is(name, X_FORWARDED_HOST);
      case 17 -> is(name, X_FORWARDED_PROTO);
      default -> false;
    };
  }

  private static boolean is(CharSequence name, AsciiString expected) {
    return AsciiString.contentEqualsIgnoreCase(name, expected);
  }
}
