package io.github.shimmypull.core.ollama.internal;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the key/value section of a GGUF file (versions 2 and 3), streaming and bounded: it stops
 * after the last key (tensor infos and weights are never read), and treats the file as hostile,
 * with caps on the key count, key and string lengths, array lengths, nesting and the bytes read in
 * all. A file that breaks a rule or ends early yields the keys read before that point, never an
 * exception.
 *
 * <p>Scalars are kept as {@link Long} (every integer type), {@link Double} (floats), {@link
 * Boolean} and {@link String}; arrays of up to {@link #MAX_KEPT_ARRAY} scalars as a {@link List},
 * longer ones (tokenizer vocabularies) as an {@link ArrayInfo} with their element type and length
 * only.
 */
public final class GgufReader {

  private static final Logger LOG = LoggerFactory.getLogger(GgufReader.class);

  /** The most keys a header may declare. */
  public static final long MAX_KV_COUNT = 65_536;

  /** The longest key, in bytes. */
  public static final long MAX_KEY_BYTES = 65_535;

  /** The longest string value kept (longer ones are skipped), in bytes: 1 MiB. */
  public static final long MAX_KEPT_STRING_BYTES = 1024 * 1024;

  /** The longest string value accepted at all, in bytes: 64 MiB. */
  public static final long MAX_STRING_BYTES = 64L * 1024 * 1024;

  /** The most elements an array may declare. */
  public static final long MAX_ARRAY_LENGTH = 1L << 26;

  /** Arrays of at most this many scalars are kept as values. */
  public static final int MAX_KEPT_ARRAY = 64;

  /** The deepest nesting of arrays. */
  public static final int MAX_DEPTH = 4;

  /** The most bytes read from one file: 256 MiB (a 256k-token vocabulary takes a few MiB). */
  public static final long MAX_HEADER_BYTES = 256L * 1024 * 1024;

  private static final byte[] MAGIC = {'G', 'G', 'U', 'F'};

  private static final int UINT8 = 0;
  private static final int INT8 = 1;
  private static final int UINT16 = 2;
  private static final int INT16 = 3;
  private static final int UINT32 = 4;
  private static final int INT32 = 5;
  private static final int FLOAT32 = 6;
  private static final int BOOL = 7;
  private static final int STRING = 8;
  private static final int ARRAY = 9;
  private static final int UINT64 = 10;
  private static final int INT64 = 11;
  private static final int FLOAT64 = 12;

  /** An array too long to keep: its element type (GGUF type number) and length. */
  public record ArrayInfo(int elementType, long length) {}

  /**
   * What was read from a GGUF header.
   *
   * @param version the GGUF version, or 0 when the file is not GGUF (or an unsupported version)
   * @param values the keys read, in file order
   * @param complete whether every declared key was read
   */
  public record Metadata(int version, Map<String, Object> values, boolean complete) {

    /** Nothing known: not a GGUF file, or unreadable. */
    public static final Metadata EMPTY = new Metadata(0, Map.of(), false);

    public Metadata {
      values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** A string value, or null when absent or not a string. */
    public @Nullable String string(String key) {
      return values.get(key) instanceof String s ? s : null;
    }

    /** An integer value, or null when absent or not an integer. */
    public @Nullable Long integer(String key) {
      return values.get(key) instanceof Long l ? l : null;
    }
  }

  private GgufReader() {}

  /** Reads {@code file}'s header; {@link Metadata#EMPTY} when it cannot be read at all. */
  public static Metadata read(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in);
    } catch (IOException e) {
      LOG.debug("cannot read the GGUF header of {}: {}", file, e.toString());
      return Metadata.EMPTY;
    }
  }

  /** Reads a header from {@code in} (not closed). */
  public static Metadata read(InputStream in) {
    Input input = new Input(new BufferedInputStream(in, 64 * 1024));
    Map<String, Object> values = new LinkedHashMap<>();
    int version = 0;
    try {
      byte[] magic = input.bytes(4);
      if (!Arrays.equals(magic, MAGIC)) {
        return Metadata.EMPTY;
      }
      version = (int) input.u32();
      if (version != 2 && version != 3) {
        return Metadata.EMPTY;
      }
      input.u64(); // tensor count: not needed
      long kvCount = input.u64();
      if (kvCount < 0 || kvCount > MAX_KV_COUNT) {
        return Metadata.EMPTY;
      }
      for (long i = 0; i < kvCount; i++) {
        String key = input.string(MAX_KEY_BYTES, MAX_KEY_BYTES);
        if (key == null) {
          return new Metadata(version, values, false);
        }
        int type = (int) input.u32();
        Object value = value(input, type, 0);
        if (value != null && !values.containsKey(key)) {
          values.put(key, value);
        }
      }
      return new Metadata(version, values, true);
    } catch (IOException | BadHeader e) {
      if (values.isEmpty()) {
        return Metadata.EMPTY;
      }
      return new Metadata(version, values, false);
    }
  }

  private static @Nullable Object value(Input in, int type, int depth) throws IOException {
    return switch (type) {
      case UINT8 -> (long) in.u8();
      case INT8 -> (long) (byte) in.u8();
      case UINT16 -> (long) in.u16();
      case INT16 -> (long) (short) in.u16();
      case UINT32 -> in.u32();
      case INT32 -> (long) (int) in.u32();
      case FLOAT32 -> (double) Float.intBitsToFloat((int) in.u32());
      case BOOL -> in.u8() != 0;
      case STRING -> in.string(MAX_STRING_BYTES, MAX_KEPT_STRING_BYTES);
      case ARRAY -> array(in, depth);
      case UINT64, INT64 -> in.u64();
      case FLOAT64 -> Double.longBitsToDouble(in.u64());
      default -> throw new BadHeader("unknown GGUF value type " + type);
    };
  }

  private static Object array(Input in, int depth) throws IOException {
    if (depth >= MAX_DEPTH) {
      throw new BadHeader("arrays nested too deep");
    }
    int elementType = (int) in.u32();
    long length = in.u64();
    if (length < 0 || length > MAX_ARRAY_LENGTH) {
      throw new BadHeader("array of " + Long.toUnsignedString(length) + " elements");
    }
    int fixed = fixedSize(elementType);
    boolean keep = length <= MAX_KEPT_ARRAY && elementType != ARRAY;
    if (fixed > 0 && !keep) {
      in.skip(length * fixed);
      return new ArrayInfo(elementType, length);
    }
    List<Object> kept = keep ? new ArrayList<>() : List.of();
    for (long i = 0; i < length; i++) {
      Object element = value(in, elementType, depth + 1);
      if (keep && element != null) {
        kept.add(element);
      }
    }
    return keep ? List.copyOf(kept) : new ArrayInfo(elementType, length);
  }

  private static int fixedSize(int type) {
    return switch (type) {
      case UINT8, INT8, BOOL -> 1;
      case UINT16, INT16 -> 2;
      case UINT32, INT32, FLOAT32 -> 4;
      case UINT64, INT64, FLOAT64 -> 8;
      default -> 0;
    };
  }

  /** A header that breaks a rule; ends the read with what came before. */
  private static final class BadHeader extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadHeader(String message) {
      super(message, null, false, false);
    }
  }

  /** Little-endian reads with a cap on the bytes consumed. */
  private static final class Input {
    private final InputStream in;
    private long position;

    Input(InputStream in) {
      this.in = in;
    }

    private void count(long n) {
      position += n;
      if (position > MAX_HEADER_BYTES) {
        throw new BadHeader("header larger than " + MAX_HEADER_BYTES + " bytes");
      }
    }

    int u8() throws IOException {
      count(1);
      int b = in.read();
      if (b < 0) {
        throw new EOFException();
      }
      return b;
    }

    int u16() throws IOException {
      return u8() | (u8() << 8);
    }

    long u32() throws IOException {
      return (u16() & 0xffffL) | ((u16() & 0xffffL) << 16);
    }

    long u64() throws IOException {
      return u32() | (u32() << 32);
    }

    byte[] bytes(int n) throws IOException {
      count(n);
      byte[] b = in.readNBytes(n);
      if (b.length < n) {
        throw new EOFException();
      }
      return b;
    }

    void skip(long n) throws IOException {
      count(n);
      long left = n;
      while (left > 0) {
        long skipped = in.skip(left);
        if (skipped <= 0) {
          if (in.read() < 0) {
            throw new EOFException();
          }
          skipped = 1;
        }
        left -= skipped;
      }
    }

    /** A string of at most {@code max} bytes; null (skipped) when longer than {@code keep}. */
    @Nullable String string(long max, long keep) throws IOException {
      long length = u64();
      if (length < 0 || length > max) {
        throw new BadHeader("string of " + Long.toUnsignedString(length) + " bytes");
      }
      if (length > keep) {
        skip(length);
        return null;
      }
      return new String(bytes((int) length), StandardCharsets.UTF_8);
    }
  }
}
