package io.github.shimmypull.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The start of a GGUF v3 file: magic, version, tensor count 0 and a key/value section with the
 * pairs added, little-endian as llama.cpp writes it. For files whose {@code details} a test checks
 * ({@link FakeFile#gguf}); the bytes after the header are the caller's.
 *
 * <pre>{@code
 * byte[] header = GgufHeader.builder()
 *     .string("general.architecture", "llama")
 *     .uint64("general.parameter_count", 1_100_048_384L)
 *     .uint32("general.file_type", 15)
 *     .build();
 * }</pre>
 */
public final class GgufHeader {

  private GgufHeader() {}

  public static Builder builder() {
    return new Builder();
  }

  /** Adds key/value pairs in order. */
  public static final class Builder {
    private final List<byte[]> pairs = new ArrayList<>();
    private int version = 3;

    private Builder() {}

    /** The version field (default 3). */
    public Builder version(int version) {
      this.version = version;
      return this;
    }

    public Builder string(String key, String value) {
      return pair(key, 8, string(value));
    }

    public Builder uint32(String key, long value) {
      return pair(key, 4, le(4).putInt((int) value).array());
    }

    public Builder uint64(String key, long value) {
      return pair(key, 10, le(8).putLong(value).array());
    }

    public Builder float32(String key, float value) {
      return pair(key, 6, le(4).putFloat(value).array());
    }

    public Builder bool(String key, boolean value) {
      return pair(key, 7, new byte[] {(byte) (value ? 1 : 0)});
    }

    /** An array of strings (e.g. {@code tokenizer.ggml.tokens}). */
    public Builder strings(String key, List<String> values) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(le(4).putInt(8).array());
      out.writeBytes(le(8).putLong(values.size()).array());
      values.forEach(v -> out.writeBytes(string(v)));
      return pair(key, 9, out.toByteArray());
    }

    /** An array of int32 values (e.g. {@code tokenizer.ggml.token_type}). */
    public Builder int32s(String key, int[] values) {
      ByteBuffer b = le(12 + 4L * values.length);
      b.putInt(5).putLong(values.length);
      for (int v : values) {
        b.putInt(v);
      }
      return pair(key, 9, b.array());
    }

    /** The header bytes. */
    public byte[] build() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(le(4).putInt(version).array());
      out.writeBytes(le(8).putLong(0).array());
      out.writeBytes(le(8).putLong(pairs.size()).array());
      pairs.forEach(out::writeBytes);
      return out.toByteArray();
    }

    private Builder pair(String key, int type, byte[] value) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(string(key));
      out.writeBytes(le(4).putInt(type).array());
      out.writeBytes(value);
      pairs.add(out.toByteArray());
      return this;
    }

    private static byte[] string(String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = le(8L + bytes.length);
      b.putLong(bytes.length).put(bytes);
      return b.array();
    }

    private static ByteBuffer le(long size) {
      return ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    }
  }
}
