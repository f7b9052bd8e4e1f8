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
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.async.ByteArrayFeeder;
import tools.jackson.core.json.JsonFactory;

/**
 * Reads a JSON request body as it arrives, in pieces of any size (Jackson's non-blocking parser),
 * keeping no copy of it: the top-level {@code model} string, whether a top-level {@code stream}
 * field is present, and where the top-level object ends. Values are skipped token by token, so a
 * long {@code messages} array before {@code model} costs parsing but no memory. Not thread-safe;
 * one per request.
 */
public final class BodyScanner {

  private static final JsonFactory FACTORY = new JsonFactory();
  private static final byte[] STREAM_FALSE = "\"stream\":false".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MODEL_KEY = "\"model\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] COMMA_STREAM_FALSE =
      ",\"stream\":false".getBytes(StandardCharsets.US_ASCII);

  private final JsonParser parser;
  private final ByteArrayFeeder feeder;
  private long fed;
  private boolean started;
  private boolean done;
  private boolean malformed;
  private boolean modelFound;
  private boolean modelNotString;
  private boolean expectModel;
  private @Nullable String model;
  private boolean hasStream;
  private boolean hasFields;
  private long rootEnd = -1;
  private long rootStart = -1;
  private long modelStart = -1;
  private long modelEnd = -1;

  public BodyScanner() {
    parser = FACTORY.createNonBlockingByteArrayParser(ObjectReadContext.empty());
    feeder = (ByteArrayFeeder) parser.nonBlockingInputFeeder();
  }

  /** Scans the next {@code length} bytes; the array may be reused once this returns. */
  public void feed(byte[] bytes, int offset, int length) {
    if (done || length <= 0) {
      fed += Math.max(0, length);
      return;
    }
    try {
      feeder.feedInput(bytes, offset, offset + length);
    } catch (JacksonException e) {
      fail();
      return;
    }
    fed += length;
    drain();
  }

  /** The body ended: no more bytes come. */
  public void end() {
    if (!done) {
      feeder.endOfInput();
      drain();
      done = true;
      parser.close();
    }
  }

  private void drain() {
    while (!done) {
      JsonToken token;
      try {
        token = parser.nextToken();
      } catch (JacksonException e) {
        fail();
        return;
      }
      if (token == JsonToken.NOT_AVAILABLE) {
        return;
      }
      if (token == null) {
        done = true;
        parser.close();
        return;
      }
      if (!started) {
        started = true;
        if (token != JsonToken.START_OBJECT) {
          fail(); // not an object: there is no model to read
        } else {
          rootStart = parser.currentLocation().getByteOffset() - 1;
        }
        continue;
      }
      if (expectModel) {
        expectModel = false;
        modelFound = true;
        if (token == JsonToken.VALUE_STRING) {
          model = parser.getString();
          // The non-blocking parser places a string token after its opening quote.
          modelStart = parser.currentTokenLocation().getByteOffset() - 1;
          modelEnd = parser.currentLocation().getByteOffset();
        } else if (token != JsonToken.VALUE_NULL) {
          modelNotString = true;
        }
      }
      if (token == JsonToken.PROPERTY_NAME && parser.streamReadContext().getNestingDepth() == 1) {
        hasFields = true;
        String name = parser.currentName();
        if ("model".equals(name)) {
          expectModel = true;
        } else if ("stream".equals(name)) {
          hasStream = true;
        }
      } else if (token == JsonToken.END_OBJECT && parser.streamReadContext().inRoot()) {
        // The brace is the byte before the parser's position (its token location can lag).
        rootEnd = parser.currentLocation().getByteOffset() - 1;
        done = true;
        parser.close(); // its buffers go back to Jackson's pool
      }
    }
  }

  private void fail() {
    malformed = true;
    done = true;
    parser.close();
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
