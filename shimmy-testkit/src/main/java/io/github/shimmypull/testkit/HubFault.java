package io.github.shimmypull.testkit;

import java.time.Duration;

/**
 * A fault {@link FakeHuggingFace} injects into the next downloads of a file (GET of {@code
 * /resolve/...} and of the CDN body it redirects to). Body faults act on the CDN response; status
 * faults answer the Hub's resolve GET.
 */
public final class HubFault {

  /** What kind of fault. */
  public enum Kind {
    /**
     * Close the connection after {@code bytes} body bytes (client sees a reset / unexpected EOF).
     */
    RESET,
    /**
     * Send {@code bytes} body bytes, then nothing (until the client gives up or the server closes).
     */
    STALL,
    /** Send the body with one byte flipped in the middle of the served range. */
    CORRUPT,
    /** Declare the full length, send {@code bytes} bytes, then end the response by closing. */
    TRUNCATE,
    /** Answer the resolve GET with {@code status} (e.g. 500, 503). */
    STATUS,
    /** Answer the resolve GET with 429 and {@code Retry-After: retryAfter} seconds. */
    RATE_LIMIT,
    /** Ignore the Range header: answer 200 with the full body. */
    IGNORE_RANGE,
    /** Answer a CDN GET that carries a Range header with 416 (a resume the server refuses). */
    REFUSE_RANGE,
    /** Answer the resolve GET with 302 to {@code text} (e.g. {@code file:///etc/passwd}). */
    REDIRECT,
    /** Answer the CDN GET with 206 and {@code Content-Range: text} (e.g. an absurd number). */
    CONTENT_RANGE
  }

  private final Kind kind;
  private final long bytes;
  private final int status;
  private final Duration retryAfter;
  private final String text;

  private HubFault(Kind kind, long bytes, int status, Duration retryAfter) {
    this(kind, bytes, status, retryAfter, "");
  }

  private HubFault(Kind kind, long bytes, int status, Duration retryAfter, String text) {
    this.kind = kind;
    this.bytes = bytes;
    this.status = status;
    this.retryAfter = retryAfter;
    this.text = text;
  }

  public static HubFault resetAfter(long bytes) {
    return new HubFault(Kind.RESET, bytes, 0, Duration.ZERO);
  }

  public static HubFault stallAfter(long bytes) {
    return new HubFault(Kind.STALL, bytes, 0, Duration.ZERO);
  }

  public static HubFault corrupt() {
    return new HubFault(Kind.CORRUPT, 0, 0, Duration.ZERO);
  }

  public static HubFault truncateAfter(long bytes) {
    return new HubFault(Kind.TRUNCATE, bytes, 0, Duration.ZERO);
  }

  public static HubFault status(int status) {
    return new HubFault(Kind.STATUS, 0, status, Duration.ZERO);
  }

  /** 429 with {@code Retry-After} in whole seconds (0 allowed, for fast tests). */
  public static HubFault rateLimited(Duration retryAfter) {
    return new HubFault(Kind.RATE_LIMIT, 0, 429, retryAfter);
  }

  public static HubFault ignoreRange() {
    return new HubFault(Kind.IGNORE_RANGE, 0, 0, Duration.ZERO);
  }

  /**
   * 416 (Range Not Satisfiable) for the next CDN GET of the file when it carries a Range header.
   */
  public static HubFault refuseRange() {
    return new HubFault(Kind.REFUSE_RANGE, 0, 416, Duration.ZERO);
  }

  /** 302 from the Hub's resolve GET to {@code location}, verbatim (any scheme). */
  public static HubFault redirectTo(String location) {
    return new HubFault(Kind.REDIRECT, 0, 302, Duration.ZERO, location);
  }

  /** 206 from the CDN with this {@code Content-Range} header, verbatim, and the requested bytes. */
  public static HubFault contentRange(String header) {
    return new HubFault(Kind.CONTENT_RANGE, 0, 206, Duration.ZERO, header);
  }

  /**
   * The Location of {@link Kind#REDIRECT} or the header of {@link Kind#CONTENT_RANGE}; else empty.
   */
  public String text() {
    return text;
  }

  public Kind kind() {
    return kind;
  }

  public long bytes() {
    return bytes;
  }

  public int status() {
    return status;
  }

  public Duration retryAfter() {
    return retryAfter;
  }

  boolean atResolve() {
    return kind == Kind.STATUS || kind == Kind.RATE_LIMIT || kind == Kind.REDIRECT;
  }

  @Override
  public String toString() {
    return kind
        + (kind == Kind.STATUS
            ? "(" + status + ")"
            : bytes > 0 ? "(" + bytes + ")" : text.isEmpty() ? "" : "(" + text + ")");
  }
}
