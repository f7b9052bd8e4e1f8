package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.proxy.internal.HopByHopHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The headers of a forwarded request head, edited in place: hop-by-hop headers stripped, {@code
 * X-Forwarded-For} appended, and {@code Host}/{@code X-Forwarded-*} set for Shimmy or restored to
 * the client's for the application (a request can change route before it is answered).
 */
final class ForwardedHeaders {

  private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");

  private final @Nullable String originalHost;
  private final @Nullable String originalForwardedHost;
  private final @Nullable String originalForwardedProto;

  /** Remembers the client's {@code Host} and {@code X-Forwarded-Host/Proto}. */
  ForwardedHeaders(HttpHeaders client) {
    this.originalHost = client.get(HttpHeaderNames.HOST);
    this.originalForwardedHost = client.get(X_FORWARDED_HOST);
    this.originalForwardedProto = client.get(X_FORWARDED_PROTO);
  }

  /**
   * Makes the client's head a forwarded one: no hop-by-hop headers, {@code X-Forwarded-For}.
   *
   * @param transferEncoding whether the client's head has a {@code Transfer-Encoding}
   */
  void prepare(HttpRequest request, String clientAddress, boolean transferEncoding) {
    HttpHeaders headers = request.headers();
    boolean chunked = transferEncoding && HttpUtil.isTransferEncodingChunked(request);
    String previous = headers.get(X_FORWARDED_FOR);
    stripHopByHop(headers);
    if (chunked) {
      HttpUtil.setTransferEncodingChunked(request, true); // our own framing to the upstream
    }
    headers.set(
        X_FORWARDED_FOR, previous == null ? clientAddress : previous + ", " + clientAddress);
    request.setProtocolVersion(HttpVersion.HTTP_1_1);
  }

  /**
   * Shimmy gets its own {@code Host}, the client's as {@code X-Forwarded-Host}, and the upgrade.
   */
  void toShimmy(HttpRequest request, String authority, boolean webSocket) {
    HttpHeaders headers = request.headers();
    headers.set(HttpHeaderNames.HOST, authority);
    restore(headers, X_FORWARDED_HOST, originalHost);
    headers.set(X_FORWARDED_PROTO, "http");
    if (webSocket) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
      headers.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
    }
  }

  /** The application gets the client's {@code Host} and {@code X-Forwarded-*}, no upgrade. */
  void toApplication(HttpRequest request) {
    HttpHeaders headers = request.headers();
    headers.remove(HttpHeaderNames.CONNECTION).remove(HttpHeaderNames.UPGRADE);
    restore(headers, HttpHeaderNames.HOST, originalHost);
    restore(headers, X_FORWARDED_HOST, originalForwardedHost);
    restore(headers, X_FORWARDED_PROTO, originalForwardedProto);
  }

  private static void restore(HttpHeaders headers, CharSequence name, @Nullable String value) {
    if (value == null) {
      headers.remove(name);
    } else {
      headers.set(name, value);
    }
  }

  /**
   * Removes the hop-by-hop headers (RFC 9110 §7.6.1), in place: the fixed names, every {@code
   * Proxy-*} and the names the {@code Connection} header lists. One pass over the headers; nothing
   * is allocated unless one is found.
   */
  static void stripHopByHop(HttpHeaders headers) {
    List<CharSequence> drop = null;
    Set<String> listed = null;
    Iterator<Map.Entry<CharSequence, CharSequence>> entries = headers.iteratorCharSequence();
    while (entries.hasNext()) {
      Map.Entry<CharSequence, CharSequence> header = entries.next();
      CharSequence name = header.getKey();
      if (!HopByHopHeaders.isHopByHop(name)) {
        continue;
      }
      if (drop == null) {
        drop = new ArrayList<>(4);
      }
      drop.add(name);
      CharSequence value = header.getValue();
      if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONNECTION)
          && !AsciiString.contentEqualsIgnoreCase(value, HttpHeaderValues.KEEP_ALIVE)
          && !AsciiString.contentEqualsIgnoreCase(value, HttpHeaderValues.CLOSE)) {
        Set<String> names = HopByHopHeaders.listedInConnection(List.of(value.toString()));
        if (names != null) {
          if (listed == null) {
            listed = new TreeSet<>();
          }
          listed.addAll(names);
        }
      }
    }
    if (drop != null) {
      drop.forEach(headers::remove);
    }
    if (listed != null) {
      listed.forEach(headers::remove);
    }
  }
}
