package io.github.shimmypull.core.http.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.internal.ContentLength;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a request carries besides its path: the body (its size limits, content type, reading and
 * draining), the {@code discard} query parameter and model ids in paths. Bad input is a {@link
 * PullException} with the right 4xx reason.
 */
public final class RequestBodies {

  private static final Logger LOG = LoggerFactory.getLogger(RequestBodies.class);

  private RequestBodies() {}

  /**
   * 413 before anything is read or forwarded when the declared Content-Length is over {@code
   * limit}.
   */
  public static void requireDeclaredLengthWithin(HttpExchange ex, long limit) {
    if (ContentLength.parse(ex.requestHeader("Content-Length"), -1, -1) > limit) {
      throw tooLarge(limit);
    }
  }

  /** Passes a body without Content-Type or with a JSON one; else 415. */
  public static void requireJsonContentType(HttpExchange ex) {
    String contentType = ex.requestHeader("Content-Type");
    if (contentType == null || contentType.isBlank()) {
      return;
    }
    String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!mediaType.equals(JsonAnswers.JSON) && !mediaType.endsWith("+json")) {
      throw new PullException(
          Reason.UNSUPPORTED_MEDIA_TYPE,
          "request body must be JSON (Content-Type: application/json), not '" + contentType + "'");
    }
  }

  /** Reads at most {@code limit} bytes, counting as it reads (Content-Length is only a hint). */
  public static byte[] readBody(HttpExchange ex, long limit) throws IOException {
    String length = ex.requestHeader("Content-Length");
    long declared;
    try {
      declared = ContentLength.parse(length, -1);
    } catch (NumberFormatException e) {
      throw invalid("malformed Content-Length '" + length + "'");
    }
    if (declared > limit) {
      throw tooLarge(limit);
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try (InputStream in = ex.requestBody()) {
      int n;
      while ((n = in.read(buffer)) != -1) {
        if (body.size() + (long) n > limit) {
          throw tooLarge(limit);
        }
        body.write(buffer, 0, n);
      }
    }
    return body.toByteArray();
  }

  /**
   * Reads what an early answer (413, 400) left unread of a request body of up to {@code limit}
   * bytes, like a server's lingering close: a server that closes a connection with unread bytes
   * resets it, and the reset can destroy the answer before the client (or a proxy in front) has
   * read it. Larger leftovers are not read; the server closes the connection.
   */
  public static void drainSmallRest(HttpExchange exchange, long limit) {
    String length = exchange.requestHeader("Content-Length");
    try {
      boolean noBody = length == null && exchange.requestHeader("Transfer-Encoding") == null;
      long declared = ContentLength.parse(length, -1);
      if (noBody || declared == 0 || declared > limit) {
        return;
      }
      InputStream in = exchange.requestBody();
      byte[] buffer = new byte[8192];
      long left = limit;
      int read;
      while (left > 0 && (read = in.read(buffer, 0, (int) Math.min(buffer.length, left))) != -1) {
        left -= read;
      }
    } catch (IOException | NumberFormatException e) {
      LOG.debug("not draining the rest of a request body: {}", e.toString());
    }
  }

  /** The {@code discard} query parameter of a cancel: true, 1, false, 0 or absent (false). */
  public static boolean discardParameter(@Nullable String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return false;
    }
    boolean discard = false;
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String name = eq >= 0 ? pair.substring(0, eq) : pair;
      String value = eq >= 0 ? pair.substring(eq + 1) : "true";
      if (name.equals("discard")) {
        if (value.equalsIgnoreCase("true") || value.equals("1")) {
          discard = true;
        } else if (value.equalsIgnoreCase("false") || value.equals("0")) {
          discard = false;
        } else {
          throw invalid("query parameter 'discard' must be true or false, not '" + value + "'");
        }
      }
    }
    return discard;
  }

  /** Percent-decodes a path segment ({@code +} stays a plus) and rejects ids that are paths. */
  public static String modelId(String raw) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw invalid("malformed percent-encoding in model id '" + raw + "'");
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw invalid("malformed percent-encoding in model id '" + raw + "'");
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else {
        byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(encoded, 0, encoded.length);
      }
    }
    String id = bytes.toString(StandardCharsets.UTF_8);
    if (id.isBlank()) {
      throw invalid("model id is empty");
    }
    if (id.contains("/") || id.contains("\\") || id.contains("..") || id.startsWith(".")) {
      throw invalid(
          "model id '" + id + "' must be a plain id as GET /v1/api/models lists it, not a path");
    }
    for (int i = 0; i < id.length(); i++) {
      if (Character.isISOControl(id.charAt(i))) {
        throw invalid("model id must not contain control characters");
      }
    }
    return id;
  }

  /** 413 {@code payload_too_large} for a body over {@code limit}. */
  public static PullException tooLarge(long limit) {
    return new PullException(
        Reason.PAYLOAD_TOO_LARGE, "request body is larger than " + limit + " bytes");
  }

  /** 400 {@code invalid_request}. */
  public static PullException invalid(String message) {
    return new PullException(Reason.INVALID_REQUEST, message);
  }
}
