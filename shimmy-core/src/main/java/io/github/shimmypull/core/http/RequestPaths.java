package io.github.shimmypull.core.http;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The one normalisation of request paths, applied before routing by every front (the edge, {@link
 * ShimmyHttpApi} under Javalin and under Spring), so that no spelling of a path reaches a route
 * other than the one its canonical form names: {@code //v1/api/pull}, {@code /x/../v1/api/pull},
 * {@code /v1/./api/pull}, {@code /v1/%61pi/pull} and {@code /v1/api;x/pull} all are {@code
 * /v1/api/pull}, which is ours (with its admin check) and never proxied.
 *
 * <p>Normalising percent-decodes, drops empty and {@code .} segments and {@code ;parameters},
 * resolves {@code ..}, then re-encodes every byte outside RFC 3986's unreserved and sub-delimiter
 * characters, so the result is stable ({@code normalize(normalize(p)).equals(normalize(p))}). Paths
 * no server should route are refused with 400 {@code invalid_request}: not starting with {@code /},
 * a malformed percent escape, bytes that are not UTF-8, an encoded {@code /} or {@code \}, a
 * backslash, a control character, a percent-encoded {@code .} or {@code ..} segment, or {@code ..}
 * above the root.
 */
public final class RequestPaths {

  private RequestPaths() {}

  /**
   * The canonical form of a raw (not decoded) request path.
   *
   * @throws PullException {@link Reason#INVALID_REQUEST} for a path no route may take
   */
  public static String normalize(String rawPath) {
    if (rawPath.isEmpty() || rawPath.charAt(0) != '/') {
      throw invalid("the request path must start with '/'");
    }
    if (isPlain(rawPath)) {
      return rawPath; // the common case, without a copy: already canonical
    }
    Deque<String> segments = new ArrayDeque<>();
    int start = 1;
    while (start <= rawPath.length()) {
      int end = rawPath.indexOf('/', start);
      if (end < 0) {
        end = rawPath.length();
      }
      String rawSegment = rawPath.substring(start, end);
      String segment = decode(rawSegment);
      if ((segment.equals(".") || segment.equals("..")) && !segment.equals(rawSegment)) {
        throw invalid("the request path has a percent-encoded dot segment");
      }
      int parameters = segment.indexOf(';');
      if (parameters >= 0) {
        segment = segment.substring(0, parameters);
      }
      if (segment.equals("..")) {
        if (segments.pollLast() == null) {
          throw invalid("the request path leaves the root with '..'");
        }
      } else if (!segment.isEmpty() && !segment.equals(".")) {
        segments.addLast(segment);
      }
      start = end + 1;
    }
    StringBuilder path = new StringBuilder(rawPath.length());
    for (String segment : segments) {
      path.append('/');
      encode(segment, path);
    }
    boolean trailingSlash = rawPath.length() > 1 && rawPath.endsWith("/") && !segments.isEmpty();
    if (path.length() == 0 || trailingSlash) {
      path.append('/');
    }
    return path.toString();
  }

  /** Whether {@code rawPath} is already canonical (false also when it is refused). */
  public static boolean isCanonical(String rawPath) {
    try {
      return normalize(rawPath).equals(rawPath);
    } catch (PullException refused) {
      return false;
    }
  }

  /**
   * True when {@code rawPath} (starting with {@code /}) is its own canonical form for certain: only
   * characters {@link #encode} keeps, no empty segment but a trailing slash after a segment, and no
   * {@code .} or {@code ..} segment. One pass, nothing allocated.
   */
  private static boolean isPlain(String rawPath) {
    int length = rawPath.length();
    int segmentStart = 1;
    for (int i = 1; i <= length; i++) {
      char c = i < length ? rawPath.charAt(i) : '/';
      if (c == '/') {
        int segment = i - segmentStart;
        if (segment == 0 ? i < length : isDots(rawPath, segmentStart, segment)) {
          return false;
        }
        segmentStart = i + 1;
      } else if (!isAllowed(c)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDots(String path, int start, int length) {
    return (length == 1 && path.charAt(start) == '.')
        || (length == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.');
  }

  private static String decode(String raw) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
        int lo = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
        if (hi < 0 || lo < 0) {
          throw invalid("the request path has a malformed percent escape");
        }
        int b = hi * 16 + lo;
        if (b == '/' || b == '\\') {
          throw invalid("the request path has an encoded '/' or '\\'");
        }
        bytes.write(b);
        i += 2;
      } else {
        if (c == '\\') {
          throw invalid("the request path has a backslash");
        }
        byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(utf8, 0, utf8.length);
      }
    }
    String decoded;
    try {
      decoded =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes.toByteArray()))
              .toString();
    } catch (CharacterCodingException e) {
      throw invalid("the request path is not UTF-8 once percent-decoded");
    }
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw invalid("the request path has a control character");
      }
    }
    return decoded;
  }

  private static void encode(String segment, StringBuilder out) {
    for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (isAllowed(c)) {
        out.append((char) c);
      } else {
        out.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
  }

  /** RFC 3986 unreserved, sub-delims but ';' (a parameter separator to Jetty), ':' and '@'. */
  private static boolean isAllowed(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "-._~!$&'()*+,=:@".indexOf(c) >= 0;
  }

  private static PullException invalid(String message) {
    return new PullException(Reason.INVALID_REQUEST, message);
  }
}
