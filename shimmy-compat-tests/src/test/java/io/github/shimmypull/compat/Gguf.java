package io.github.shimmypull.compat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A minimal GGUF v3 file: the header, a few metadata keys (architecture, name, context length, file
 * type) and no tensors, padded to a size. Enough for a GGUF header reader to report details and
 * {@code model_info}, and for the fake Shimmy to serve it.
 */
final class Gguf {

  private static final int UINT32 = 4;
  private static final int STRING = 8;

  private Gguf() {}

  /**
   * A llama-architecture GGUF named {@code name} with file type {@code fileType} (10 = Q2_K, 15 =
   * Q4_K_M).
   */
  static byte[] llama(String name, int fileType, int size) {
    ByteArrayOutputStream kv = new ByteArrayOutputStream();
    string(kv, "general.architecture", "llama");
    string(kv, "general.name", name);
    uint32(kv, "llama.context_length", 2048);
    uint32(kv, "general.file_type", fileType);
    ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    header.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(0).putLong(4);
    byte[] meta = kv.toByteArray();
    byte[] out = new byte[Math.max(size, header.capacity() + meta.length)];
    System.arraycopy(header.array(), 0, out, 0, header.capacity());
    System.arraycopy(meta, 0, out, header.capacity(), meta.length);
    return out;
  }

  private static void string(ByteArrayOutputStream out, String key, String value) {
    key(out, key, STRING);
    text(out, value);
  }

  private static void uint32(ByteArrayOutputStream out, String key, int value) {
    key(out, key, UINT32);
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
  }

  private static void key(ByteArrayOutputStream out, String key, int type) {
    text(out, key);
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(type).array());
  }

  private static void text(ByteArrayOutputStream out, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    out.writeBytes(
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(bytes.length).array());
    out.writeBytes(bytes);
  }
}
