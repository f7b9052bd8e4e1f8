package io.github.shimmypull.core.routing.internal;

import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.routing.RoutingException;
import io.github.shimmypull.core.routing.RoutingException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads a JSON request body as it arrives, in pieces of any size, keeping no copy of it: the
 * top-level {@code model} string, whether a top-level {@code stream} field is present, and where
 * the top-level object ends. A small hand-written state machine (no parser objects, no token
 * decoding) that checks the JSON grammar as strictly as Jackson's default parser, so a long {@code
 * messages} array before {@code model} costs one pass over its bytes and no memory; the edge runs
 * it on every routed request. Not thread-safe; one per request.
 */
public final class BodyScanner {

  /** Deepest nesting accepted (the root object is depth 1), as Jackson's default constraints. */
  static final int MAX_DEPTH = 500;

  /** Longest {@code model} value kept, in bytes as sent; a longer one is refused. */
  static final int MAX_MODEL_BYTES = 64 * 1024;

  /** Top-level names longer than this (as sent, escapes included) are neither model nor stream. */
  private static final int MAX_KEY_BYTES = 64;

  private static final byte[] STREAM_FALSE = "\"stream\":false".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MODEL_KEY = "\"model\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] COMMA_STREAM_FALSE =
      ",\"stream\":false".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MODEL = "model".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] STREAM = "stream".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  /** Bytes that a string may hold as they are: ASCII, no control character, quote or backslash. */
  private static final boolean[] PLAIN = new boolean[256];

  static {
    for (int c = 0x20; c < 0x80; c++) {
      PLAIN[c] = c != '"' && c != '\\';
    }
  }

  // What comes next between tokens.
  private static final int BEFORE_ROOT = 0;
  private static final int VALUE = 1;
  private static final int FIRST_VALUE_OR_END = 2;
  private static final int FIRST_KEY_OR_END = 3;
  private static final int KEY = 4;
  private static final int COLON = 5;
  private static final int NEXT_OR_END = 6;

  // The token being read.
  private static final int NO_TOKEN = 0;
  private static final int STRING = 1;
  private static final int NUMBER = 2;
  private static final int LITERAL = 3;

  // Where a number is: after '-', after a leading 0, in the integer digits, after '.', in the
  // fraction digits, after 'e', after the exponent's sign, in the exponent digits.
  private static final int MINUS = 0;
  private static final int ZERO = 1;
  private static final int INTEGER = 2;
  private static final int DOT = 3;
  private static final int FRACTION = 4;
  private static final int E = 5;
  private static final int E_SIGN = 6;
  private static final int EXPONENT = 7;

  /** Bit {@code d} is set when the container at depth {@code d + 1} is an object. */
  private final long[] objects = new long[(MAX_DEPTH + 63) / 64];

  private int depth;
  private int expect = BEFORE_ROOT;
  private int token = NO_TOKEN;
  private int numberState;
  private byte[] literal = NULL;
  private int literalAt;
  private boolean stringIsKey;
  private boolean keeping;
  private int escape; // 0 none, 1 after a backslash, 2..5 waiting for the n-1th hex digit of \\u
  private int utf8Pending;
  private int utf8Low = 0x80;
  private int utf8High = 0xBF;
  private boolean valueIsModel;
  private boolean keyIsModel;

  /** The raw bytes of the top-level name or model string being read, or null when not kept. */
  private byte @Nullable [] capture;

  private int captured;
  private boolean captureEscaped;
  private boolean captureOverflow;

  private long fed;
  private boolean done;
  private boolean malformed;
  private boolean modelFound;
  private boolean modelNotString;
  private boolean modelTooLong;
  private @Nullable String model;
  private boolean hasStream;
  private boolean hasFields;
  private long rootEnd = -1;
  private long rootStart = -1;
  private long modelStart = -1;
  private long modelEnd = -1;
  private long tokenStart = -1;

  /** Scans the next {@code length} bytes; the array may be reused once this returns. */
  public void feed(byte[] bytes, int offset, int length) {
    if (length <= 0) {
      return;
    }
    long base = fed - offset; // the body offset of bytes[i] is base + i
    int end = offset + length;
    int i = offset;
    while (i < end && !done) {
      switch (token) {
        case STRING -> i = string(bytes, i, end, base);
        case NUMBER -> i = number(bytes, i, end);
        case LITERAL -> i = literal(bytes, i, end);
        default -> i = between(bytes, i, end, base);
      }
    }
    fed += length;
  }

  /** The body ended: no more bytes come. */
  public void end() {
    if (done) {
      return;
    }
    if ((token == NUMBER && numberComplete())
        || (token == LITERAL && literal != BOM && literalAt == literal.length)) {
      endValue(literal == NULL && token == LITERAL); // it ends with the input (its object does not)
    }
    if (expect == BEFORE_ROOT && (token == NO_TOKEN || literal == BOM)) {
      done = true; // nothing but white space
    } else {
      fail();
    }
  }

  /** Between tokens: white space, structure, or the first byte of a token. */
  private int between(byte[] bytes, int i, int end, long base) {
    int c = bytes[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      return i + 1;
    }
    switch (expect) {
      case BEFORE_ROOT -> {
        if (c == BOM[0] && base + i == 0) {
          token = LITERAL; // a UTF-8 byte order mark before the root, as Jackson accepts
          literal = BOM;
          literalAt = 1;
        } else if (c != '{') {
          fail(); // not an object: there is no model to read
        } else {
          rootStart = base + i;
          push(true);
        }
      }
      case FIRST_KEY_OR_END, KEY -> {
        if (c == '"') {
          startString(true, base + i);
        } else if (c == '}' && expect == FIRST_KEY_OR_END) {
          pop(base + i);
        } else {
          fail();
        }
      }
      case COLON -> {
        if (c == ':') {
          expect = VALUE;
        } else {
          fail();
        }
      }
      case NEXT_OR_END -> {
        boolean inObject = inObject();
        if (c == ',') {
          expect = inObject ? KEY : VALUE;
        } else if (c == (inObject ? '}' : ']')) {
          pop(base + i);
        } else {
          fail();
        }
      }
      default -> {
        if (c == ']' && expect == FIRST_VALUE_OR_END) {
          pop(base + i);
        } else {
          startValue(c, base + i);
        }
      }
    }
    return i + 1;
  }

  private void startValue(int c, long at) {
    boolean isModel = keyIsModel;
    keyIsModel = false;
    valueIsModel = isModel;
    switch (c) {
      case '"' -> startString(false, at);
      case '{', '[' -> {
        if (isModel) {
          modelFound = true;
          modelNotString = true;
        }
        push(c == '{');
      }
      case 't', 'f', 'n' -> {
        token = LITERAL;
        literal = c == 't' ? TRUE : c == 'f' ? FALSE : NULL;
        literalAt = 1;
      }
      case '-' -> {
        token = NUMBER;
        numberState = MINUS;
      }
      default -> {
        if (c >= '0' && c <= '9') {
          token = NUMBER;
          numberState = c == '0' ? ZERO : INTEGER;
        } else {
          fail();
        }
      }
    }
  }

  private void push(boolean object) {
    if (depth == MAX_DEPTH) {
      fail();
      return;
    }
    if (object) {
      objects[depth >> 6] |= 1L << depth;
    } else {
      objects[depth >> 6] &= ~(1L << depth);
    }
    depth++;
    expect = object ? FIRST_KEY_OR_END : FIRST_VALUE_OR_END;
  }

  private void pop(long at) {
    depth--;
    if (depth == 0) {
      rootEnd = at;
      done = true;
    } else {
      expect = NEXT_OR_END;
    }
  }

  private boolean inObject() {
    int top = depth - 1;
    return (objects[top >> 6] & (1L << top)) != 0;
  }

  private void startString(boolean key, long at) {
    token = STRING;
    stringIsKey = key;
    tokenStart = at;
    boolean keep = key ? depth == 1 : valueIsModel;
    captured = 0;
    captureEscaped = false;
    captureOverflow = false;
    if (keep) {
      byte[] buffer = capture;
      if (buffer == null) {
        buffer = new byte[32];
        capture = buffer;
      }
    }
    keeping = keep;
  }

  private int string(byte[] bytes, int i, int end, long base) {
    while (i < end) {
      int c = bytes[i] & 0xFF;
      if (utf8Pending > 0) {
        if (c < utf8Low || c > utf8High) {
          fail();
          return end;
        }
        utf8Pending--;
        utf8Low = 0x80;
        utf8High = 0xBF;
      } else if (escape > 0) {
        if (escape == 1) {
          if (c == 'u') {
            escape = 2;
          } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n'
              || c == 'r' || c == 't') {
            escape = 0;
          } else {
            fail();
            return end;
          }
        } else if (Character.digit(c, 16) < 0) {
          fail();
          return end;
        } else {
          escape = escape == 5 ? 0 : escape + 1;
        }
      } else if (c == '"') {
        endString(base + i + 1);
        return i + 1;
      } else if (c == '\\') {
        escape = 1;
        captureEscaped = true;
      } else if (c < 0x20) {
        fail(); // control characters must be escaped
        return end;
      } else if (c >= 0x80) {
        if (!utf8Lead(c)) {
          fail();
          return end;
        }
      } else if (!keeping) {
        // the common case: a run of plain ASCII in a string nobody needs
        int j = i + 1;
        while (j < end && PLAIN[bytes[j] & 0xFF]) {
          j++;
        }
        i = j;
        continue;
      }
      if (keeping) {
        keep(c);
      }
      i++;
    }
    return i;
  }

  /**
   * Starts a UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
   *
   * @return false when {@code c} cannot start one
   */
  private boolean utf8Lead(int c) {
    utf8Low = 0x80;
    utf8High = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      utf8Pending = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      utf8Pending = 2;
      if (c == 0xE0) {
        utf8Low = 0xA0;
      } else if (c == 0xED) {
        utf8High = 0x9F;
      }
    } else if (c >= 0xF0 && c <= 0xF4) {
      utf8Pending = 3;
      if (c == 0xF0) {
        utf8Low = 0x90;
      } else if (c == 0xF4) {
        utf8High = 0x8F;
      }
    } else {
      return false;
    }
    return true;
  }

  private void keep(int c) {
    if (captureOverflow) {
      return;
    }
    int limit = stringIsKey ? MAX_KEY_BYTES : MAX_MODEL_BYTES;
    if (captured == limit) {
      captureOverflow = true;
      return;
    }
    byte[] buffer = capture;
    if (buffer == null) {
      return;
    }
    if (captured == buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.min(limit, buffer.length * 2));
      capture = buffer;
    }
    buffer[captured++] = (byte) c;
  }

  private void endString(long after) {
    token = NO_TOKEN;
    if (stringIsKey) {
      expect = COLON;
      if (depth == 1) {
        hasFields = true;
        if (capturedEquals(MODEL)) {
          keyIsModel = true;
        } else if (capturedEquals(STREAM)) {
          hasStream = true;
        }
      }
      return;
    }
    expect = NEXT_OR_END;
    if (valueIsModel) {
      valueIsModel = false;
      modelFound = true;
      if (captureOverflow) {
        modelTooLong = true;
        model = null;
      } else {
        modelTooLong = false;
        model = decodeCaptured();
      }
      modelStart = tokenStart;
      modelEnd = after;
    }
  }

  private boolean capturedEquals(byte[] name) {
    if (captureOverflow) {
      return false;
    }
    if (!captureEscaped) {
      return captured == name.length
          && capture != null
          && Arrays.equals(capture, 0, captured, name, 0, name.length);
    }
    return decodeCaptured().equals(new String(name, StandardCharsets.US_ASCII));
  }

  /** The kept string as Jackson decodes it: escapes resolved, UTF-8 decoded. */
  private String decodeCaptured() {
    byte[] raw = capture == null ? new byte[0] : capture;
    int length = captured;
    if (!captureEscaped) {
      boolean ascii = true;
      for (int i = 0; i < length && ascii; i++) {
        ascii = raw[i] >= 0;
      }
      if (ascii) {
        return new String(raw, 0, length, StandardCharsets.ISO_8859_1);
      }
    }
    StringBuilder text = new StringBuilder(length);
    int i = 0;
    while (i < length) {
      int c = raw[i] & 0xFF;
      if (c == '\\') {
        int e = raw[i + 1];
        i += 2;
        switch (e) {
          case 'b' -> text.append('\b');
          case 'f' -> text.append('\f');
          case 'n' -> text.append('\n');
          case 'r' -> text.append('\r');
          case 't' -> text.append('\t');
          case 'u' -> {
            text.append(
                (char) Integer.parseInt(new String(raw, i, 4, StandardCharsets.US_ASCII), 16));
            i += 4;
          }
          default -> text.append((char) e);
        }
      } else if (c < 0x80) {
        text.append((char) c);
        i++;
      } else if ((c & 0xE0) == 0xC0) {
        text.append((char) (((c & 0x1F) << 6) | (raw[i + 1] & 0x3F)));
        i += 2;
      } else if ((c & 0xF0) == 0xE0) {
        text.append((char) (((c & 0x0F) << 12) | ((raw[i + 1] & 0x3F) << 6) | (raw[i + 2] & 0x3F)));
        i += 3;
      } else {
        int point =
            ((c & 0x07) << 18)
                | ((raw[i + 1] & 0x3F) << 12)
                | ((raw[i + 2] & 0x3F) << 6)
                | (raw[i + 3] & 0x3F);
        point -= 0x10000;
        text.append((char) (0xD800 | (point >> 10))).append((char) (0xDC00 | (point & 0x3FF)));
        i += 4;
      }
    }
    return text.toString();
  }

  private int number(byte[] bytes, int i, int end) {
    while (i < end) {
      int c = bytes[i];
      boolean digit = c >= '0' && c <= '9';
      int next =
          switch (numberState) {
            case MINUS -> digit ? (c == '0' ? ZERO : INTEGER) : -1;
            case ZERO -> c == '.' ? DOT : c == 'e' || c == 'E' ? E : digit || c == 'x' ? -1 : -2;
            case INTEGER -> digit ? INTEGER : c == '.' ? DOT : c == 'e' || c == 'E' ? E : -2;
            case DOT -> digit ? FRACTION : -1;
            case FRACTION -> digit ? FRACTION : c == 'e' || c == 'E' ? E : c == '.' ? -1 : -2;
            case E -> digit ? EXPONENT : c == '+' || c == '-' ? E_SIGN : -1;
            case E_SIGN -> digit ? EXPONENT : -1;
            default -> digit ? EXPONENT : -2;
          };
      if (next == -1) {
        fail(); // e.g. a leading zero, "0x", "-x", "1.", "1e", "1.5."
        return end;
      }
      if (next == -2) {
        endValue(false); // the byte after the number is read as structure
        return i;
      }
      numberState = next;
      i++;
    }
    return i;
  }

  private boolean numberComplete() {
    return numberState == ZERO
        || numberState == INTEGER
        || numberState == FRACTION
        || numberState == EXPONENT;
  }

  /**
   * Reads the rest of {@code true}, {@code false}, {@code null} (or the byte order mark). A keyword
   * ends at a byte below {@code '0'} or a closing bracket: {@code nullx} is no keyword (and is
   * malformed as soon as the {@code x} is read).
   */
  private int literal(byte[] bytes, int i, int end) {
    while (i < end && literalAt < literal.length) {
      if (bytes[i] != literal[literalAt]) {
        fail();
        return end;
      }
      literalAt++;
      i++;
    }
    if (literal == BOM && literalAt == BOM.length) {
      token = NO_TOKEN; // the root object may follow
    } else if (i < end) {
      int next = bytes[i]; // signed, as Jackson compares: bytes past ASCII end a keyword too
      if (next < '0' || next == ']' || next == '}') {
        endValue(literal == NULL);
      } else {
        fail();
        return end;
      }
    }
    return i;
  }

  /** A number or literal value ended. */
  private void endValue(boolean isNull) {
    token = NO_TOKEN;
    expect = NEXT_OR_END;
    if (valueIsModel) {
      valueIsModel = false;
      modelFound = true;
      if (!isNull) {
        modelNotString = true;
      }
    }
  }

  private void fail() {
    malformed = true;
    done = true;
    token = NO_TOKEN;
  }

  /** True once {@link #model()} is final: found, or the object ended (or is not valid JSON). */
  public boolean modelKnown() {
    return modelFound || done;
  }

  /** True once {@link #hasStream()} is final. */
  public boolean streamKnown() {
    return hasStream || done;
  }

  /** The top-level {@code model} string, or null when absent (or not a string). */
  public @Nullable String model() {
    return model;
  }

  /** True when a top-level {@code model} is present but is not a string (nor null). */
  public boolean modelNotString() {
    return modelNotString;
  }

  /** True when the body has a top-level {@code stream} field (of any value). */
  public boolean hasStream() {
    return hasStream;
  }

  /** True when the body is not a well-formed JSON object (as far as it was read). */
  public boolean malformed() {
    return malformed;
  }

  /** Where the facts the rewrite uses were found, for tests: root braces, model value, fields. */
  String positions() {
    return rootStart + " " + rootEnd + " " + modelStart + " " + modelEnd + " " + hasFields;
  }

  /** The bytes fed so far. */
  public long fed() {
    return fed;
  }

  /**
   * Where {@code "stream": false} goes: the offset of the top-level object's closing brace, or -1
   * while it has not been read (or the body is not a JSON object).
   */
  public long insertionOffset() {
    return malformed ? -1 : rootEnd;
  }

  /**
   * The model the body names, once the prefix was scanned (and {@link #end()} called when the body
   * ended within it).
   *
   * @return the model, or null when the body names none
   * @throws RoutingException INVALID_MODEL when {@code model} is not a string; MODEL_NOT_IN_PREFIX
   *     when the scanned prefix ended before {@code model} was found
   */
  public @Nullable String requestedModel() {
    if (modelNotString) {
      throw new RoutingException(Reason.INVALID_MODEL, "'model' must be a string");
    }
    if (modelTooLong) {
      throw new RoutingException(
          Reason.INVALID_MODEL, "'model' is longer than " + MAX_MODEL_BYTES + " bytes");
    }
    if (!modelKnown()) {
      throw new RoutingException(
          Reason.MODEL_NOT_IN_PREFIX,
          "'model' was not found in the first "
              + fed
              + " bytes of the request body; put it"
              + " before long fields such as 'messages'");
    }
    return model;
  }

  /**
   * The bytes {@code [base, base + length)} of the body as they are forwarded to the instance of
   * {@code model}: the body's {@code model} value replaced by {@code model} when it named it
   * another way (case, alias), or {@code "model"} inserted after the opening brace when it named
   * none; and {@code "stream":false} inserted before the closing brace when {@code insertStream}
   * and the body has no {@code stream}. Call after the bytes were fed; a body that is not a JSON
   * object is forwarded unchanged.
   *
   * @param model the id the request was resolved to, or null to leave {@code model} alone
   * @return {@code bytes} itself when nothing changes and the range is the whole array
   */
  public byte[] forwarded(
      byte[] bytes,
      int offset,
      int length,
      long base,
      @Nullable String model,
      boolean insertStream) {
    long end = base + length;
    List<Edit> edits = edits(model, insertStream);
    edits.removeIf(edit -> edit.at < base || edit.at >= end || edit.to > end);
    if (edits.isEmpty()) {
      if (offset == 0 && length == bytes.length) {
        return bytes;
      }
      return Arrays.copyOfRange(bytes, offset, offset + length);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(length + 64);
    int position = offset;
    for (Edit edit : edits) {
      int at = offset + (int) (edit.at - base);
      out.write(bytes, position, at - position);
      out.write(edit.insert, 0, edit.insert.length);
      position = offset + (int) (edit.to - base);
    }
    out.write(bytes, position, offset + length - position);
    return out.toByteArray();
  }

  /** How many bytes {@link #forwarded} adds to the whole body (negative when it shrinks). */
  public int growth(@Nullable String model, boolean insertStream) {
    int grows = 0;
    for (Edit edit : edits(model, insertStream)) {
      grows += edit.insert.length - (int) (edit.to - edit.at);
    }
    return grows;
  }

  /** True when {@link #forwarded} may still insert {@code stream} past what was fed so far. */
  public boolean streamInsertionPending(boolean insertStream) {
    return insertStream && !malformed && !hasStream && rootEnd < 0;
  }

  private List<Edit> edits(@Nullable String target, boolean insertStream) {
    List<Edit> edits = new ArrayList<>(2);
    if (malformed) {
      return edits;
    }
    boolean fields = hasFields;
    if (target != null) {
      if (modelEnd > modelStart) {
        if (!target.equals(model)) {
          edits.add(new Edit(modelStart, modelEnd, Json.writeBytes(target)));
        }
      } else if (!modelFound && rootStart >= 0 && done) {
        byte[] quoted = Json.writeBytes(target);
        byte[] field = new byte[MODEL_KEY.length + quoted.length + (fields ? 1 : 0)];
        System.arraycopy(MODEL_KEY, 0, field, 0, MODEL_KEY.length);
        System.arraycopy(quoted, 0, field, MODEL_KEY.length, quoted.length);
        if (fields) {
          field[field.length - 1] = ',';
        }
        edits.add(new Edit(rootStart + 1, rootStart + 1, field));
        fields = true;
      }
    }
    if (insertStream && !hasStream && rootEnd >= 0) {
      edits.add(new Edit(rootEnd, rootEnd, fields ? COMMA_STREAM_FALSE : STREAM_FALSE));
    }
    return edits;
  }

  /** Replace the bytes {@code [at, to)} of the body by {@code insert}. */
  private record Edit(long at, long to, byte[] insert) {}
}
