package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.proxy.internal.HopByHopHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The head of one upstream response, parsed from its bytes once: status, how its body is framed,
 * whether the connection stays open, and which of its header lines go on to the client (all but the
 * hop-by-hop ones and those its {@code Connection} header lists). The client's head is written from
 * those lines as they arrived, with no header objects in between.
 */
final class ResponseHead {

  /** How the body of a response ends (RFC 9112 §6.3). */
  enum Body {
    /** No body: a HEAD request, 1xx, 204, 304. */
    NONE,
    /** Exactly {@link #contentLength()} bytes. */
    LENGTH,
    /** Chunked transfer coding. */
    CHUNKED,
    /** Everything until the upstream closes the connection. */
    UNTIL_CLOSE
  }

  /** The head or a body frame breaks HTTP/1.1's syntax: the upstream connection is closed. */
  static final class MalformedResponse extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MalformedResponse(String message) {
      super(message, null, false, false);
    }
  }

  private static final byte[] HTTP_1_1 = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] CHUNKED_LINE =
      "transfer-encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);

  private final byte[] bytes;
  private final int status;
  private final int reasonStart;
  private final int reasonEnd;
  private final int[] lines;
  private final int lineCount;
  private final long contentLength;
  private final boolean keepAlive;
  private final Body body;

  private ResponseHead(
      byte[] bytes,
      int status,
      int reasonStart,
      int reasonEnd,
      int[] lines,
      int lineCount,
      long contentLength,
      boolean keepAlive,
      Body body) {
    this.bytes = bytes;
    this.status = status;
    this.reasonStart = reasonStart;
    this.reasonEnd = reasonEnd;
    this.lines = lines;
    this.lineCount = lineCount;
    this.contentLength = contentLength;
    this.keepAlive = keepAlive;
    this.body = body;
  }

  int status() {
    return status;
  }

  /** A 1xx answer other than 101: another head follows on the same connection. */
  boolean interim() {
    return status >= 100 && status < 200 && status != 101;
  }

  /** The declared body length; meaningful when {@link #body()} is {@link Body#LENGTH}. */
  long contentLength() {
    return contentLength;
  }

  Body body() {
    return body;
  }

  /** True when the upstream keeps the connection open after this response. */
  boolean keepAlive() {
    return keepAlive;
  }

  /** How many bytes {@link #writeTo} writes, apart from {@code extra}. */
  int encodedLength() {
    return bytes.length + CHUNKED_LINE.length + HTTP_1_1.length;
  }

  /**
   * Writes the head for the client: {@code HTTP/1.1}, the upstream's status and reason, the header
   * lines that are forwarded, {@code Transfer-Encoding: chunked} when the edge chunks the body,
   * then {@code extra} (complete lines, e.g. a {@code Connection} header) and the blank line.
   */
  void writeTo(ByteBuf out, boolean chunked, @Nullable String extra) {
    out.writeBytes(HTTP_1_1);
    out.writeByte('0' + status / 100)
        .writeByte('0' + status / 10 % 10)
        .writeByte('0' + status % 10);
    out.writeByte(' ');
    out.writeBytes(bytes, reasonStart, reasonEnd - reasonStart);
    out.writeBytes(CRLF);
    for (int i = 0; i < lineCount; i++) {
      int start = lines[2 * i];
      out.writeBytes(bytes, start, lines[2 * i + 1] - start);
      out.writeBytes(CRLF);
    }
    if (chunked) {
      out.writeBytes(CHUNKED_LINE);
    }
    if (extra != null) {
      out.writeCharSequence(extra, StandardCharsets.US_ASCII);
    }
    out.writeBytes(CRLF);
  }

  /**
   * Finds where the head in {@code in} ends, from its reader index: the index after its blank line,
   * or -1 while it is incomplete. Lines end in CRLF or a bare LF.
   */
  static int headEnd(ByteBuf in) {
    int from = in.readerIndex();
    int limit = in.writerIndex();
    while (true) {
      int lf = in.indexOf(from, limit, (byte) '\n');
      if (lf < 0 || lf + 1 >= limit) {
        return -1;
      }
      byte next = in.getByte(lf + 1);
      if (next == '\n') {
        return lf + 2;
      }
      if (next == '\r') {
        if (lf + 2 >= limit) {
          return -1;
        }
        if (in.getByte(lf + 2) == '\n') {
          return lf + 3;
        }
      }
      from = lf + 1;
    }
  }

  /**
   * Parses a complete head (status line, header lines, blank line).
   *
   * @param headRequest whether the request was HEAD: its answer has no body whatever it declares
   * @throws MalformedResponse when it is not a valid HTTP/1.x response head
   */
  static ResponseHead parse(byte[] bytes, boolean headRequest) {
    int end = bytes.length;
    int lineEnd = lineEnd(bytes, 0, end);
    int textEnd = trimCr(bytes, 0, lineEnd);
    if (textEnd < 12
        || !startsWith(bytes, "HTTP/1.")
        || (bytes[7] != '0' && bytes[7] != '1')
        || bytes[8] != ' '
        || !digit(bytes[9])
        || !digit(bytes[10])
        || !digit(bytes[11])
        || (textEnd > 12 && bytes[12] != ' ')) {
      throw new MalformedResponse("malformed status line");
    }
    boolean http10 = bytes[7] == '0';
    int status = (bytes[9] - '0') * 100 + (bytes[10] - '0') * 10 + (bytes[11] - '0');
    if (status < 100) {
      throw new MalformedResponse("status " + status + " is out of range");
    }
    int reasonStart = Math.min(13, textEnd);
    checkText(bytes, reasonStart, textEnd);

    int[] lines = new int[16];
    int count = 0;
    long contentLength = -1;
    boolean transferEncoding = false;
    boolean chunked = false;
    boolean close = false;
    boolean keepAliveToken = false;
    Set<String> listed = null;
    int position = lineEnd + 1;
    while (true) {
      if (position >= end) {
        throw new MalformedResponse("the head has no blank line");
      }
      int next = lineEnd(bytes, position, end);
      int text = trimCr(bytes, position, next);
      if (text == position) {
        break; // the blank line
      }
      int colon = -1;
      for (int i = position; i < text; i++) {
        if (bytes[i] == ':') {
          colon = i;
          break;
        }
        if (!tokenChar(bytes[i])) {
          throw new MalformedResponse("malformed header name");
        }
      }
      if (colon <= position) {
        throw new MalformedResponse("a header line without a name");
      }
      int valueStart = colon + 1;
      while (valueStart < text && (bytes[valueStart] == ' ' || bytes[valueStart] == '\t')) {
        valueStart++;
      }
      int valueEnd = text;
      while (valueEnd > valueStart && (bytes[valueEnd - 1] == ' ' || bytes[valueEnd - 1] == '\t')) {
        valueEnd--;
      }
      checkText(bytes, valueStart, valueEnd);
      AsciiString name = new AsciiString(bytes, position, colon - position, false);
      boolean forward = !HopByHopHeaders.isHopByHop(name);
      if (name.contentEqualsIgnoreCase(HttpHeaderNames.CONTENT_LENGTH)) {
        long value = contentLength(bytes, valueStart, valueEnd);
        if (contentLength >= 0 && contentLength != value) {
          throw new MalformedResponse("conflicting Content-Length values");
        }
        contentLength = value;
      } else if (name.contentEqualsIgnoreCase(HttpHeaderNames.TRANSFER_ENCODING)) {
        transferEncoding = true;
        chunked = lastTokenIsChunked(bytes, valueStart, valueEnd);
      } else if (name.contentEqualsIgnoreCase(HttpHeaderNames.CONNECTION)) {
        String value =
            new String(bytes, valueStart, valueEnd - valueStart, StandardCharsets.US_ASCII);
        for (String token : value.split(",")) {
          String option = token.trim().toLowerCase(Locale.ROOT);
          close |= option.equals("close");
          keepAliveToken |= option.equals("keep-alive");
        }
        Set<String> names = HopByHopHeaders.listedInConnection(List.of(value));
        if (names != null) {
          listed = listed == null ? names : union(listed, names);
        }
      }
      if (forward) {
        if (2 * count + 2 > lines.length) {
          lines = Arrays.copyOf(lines, lines.length * 2);
        }
        lines[2 * count] = position;
        lines[2 * count + 1] = text;
        count++;
      }
      position = next + 1;
    }
    if (transferEncoding || listed != null) {
      count = dropLines(bytes, lines, count, transferEncoding, listed);
    }
    Body body;
    if (headRequest || status < 200 || status == 204 || status == 304) {
      body = Body.NONE;
    } else if (chunked) {
      body = Body.CHUNKED;
    } else if (transferEncoding || contentLength < 0) {
      body = Body.UNTIL_CLOSE;
    } else {
      body = Body.LENGTH;
    }
    boolean keepAlive = body != Body.UNTIL_CLOSE && (http10 ? keepAliveToken && !close : !close);
    return new ResponseHead(
        bytes, status, reasonStart, textEnd, lines, count, contentLength, keepAlive, body);
  }

  /**
   * Drops the {@code Content-Length} lines of a head with a {@code Transfer-Encoding} (the coding
   * decides the length, RFC 9112 §6.3) and the lines whose names {@code Connection} lists.
   */
  private static int dropLines(
      byte[] bytes,
      int[] lines,
      int count,
      boolean transferEncoding,
      @Nullable Set<String> listed) {
    int kept = 0;
    for (int i = 0; i < count; i++) {
      int start = lines[2 * i];
      int colon = start;
      while (bytes[colon] != ':') {
        colon++;
      }
      AsciiString name = new AsciiString(bytes, start, colon - start, false);
      boolean drop =
          (transferEncoding && name.contentEqualsIgnoreCase(HttpHeaderNames.CONTENT_LENGTH))
              || (listed != null && listed.contains(name.toLowerCase().toString()));
      if (!drop) {
        lines[2 * kept] = start;
        lines[2 * kept + 1] = lines[2 * i + 1];
        kept++;
      }
    }
    return kept;
  }

  private static Set<String> union(Set<String> first, Set<String> second) {
    first.addAll(second);
    return first;
  }

  /** The index of the LF ending the line that starts at {@code from}, or {@code end}. */
  private static int lineEnd(byte[] bytes, int from, int end) {
    for (int i = from; i < end; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return end;
  }

  private static int trimCr(byte[] bytes, int from, int lf) {
    return lf > from && bytes[lf - 1] == '\r' ? lf - 1 : lf;
  }

  private static boolean startsWith(byte[] bytes, String prefix) {
    for (int i = 0; i < prefix.length(); i++) {
      if (bytes[i] != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static boolean digit(byte b) {
    return b >= '0' && b <= '9';
  }

  /** Field values and the reason phrase: visible characters, spaces, tabs and obs-text. */
  private static void checkText(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      int b = bytes[i] & 0xff;
      if ((b < 0x20 && b != '\t') || b == 0x7f) {
        throw new MalformedResponse("a control character in the head");
      }
    }
  }

  /** RFC 9110 tchar. */
  private static boolean tokenChar(byte b) {
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || digit(b)) {
      return true;
    }
    return switch (b) {
      case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
      default -> false;
    };
  }

  /** A Content-Length value: digits, or a list of equal values ({@code 5, 5}). */
  private static long contentLength(byte[] bytes, int from, int to) {
    long value = -1;
    long current = -1;
    for (int i = from; i <= to; i++) {
      byte b = i < to ? bytes[i] : (byte) ',';
      if (digit(b)) {
        current = current < 0 ? b - '0' : current * 10 + (b - '0');
        if (current > 1L << 53) {
          throw new MalformedResponse("Content-Length out of range");
        }
      } else if (b == ',') {
        if (current < 0 || (value >= 0 && value != current)) {
          throw new MalformedResponse("malformed Content-Length");
        }
        value = current;
        current = -1;
        while (i + 1 < to && (bytes[i + 1] == ' ' || bytes[i + 1] == '\t')) {
          i++;
        }
      } else {
        throw new MalformedResponse("malformed Content-Length");
      }
    }
    return value;
  }

  private static boolean lastTokenIsChunked(byte[] bytes, int from, int to) {
    int start = to;
    while (start > from && bytes[start - 1] != ',') {
      start--;
    }
    while (start < to && (bytes[start] == ' ' || bytes[start] == '\t')) {
      start++;
    }
    return to - start == 7
        && new AsciiString(bytes, start, 7, false).contentEqualsIgnoreCase("chunked");
  }
}
