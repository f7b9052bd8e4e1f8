package io.github.shimmypull.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * The content of one file served by {@link FakeHuggingFace}: either given bytes or bytes generated
 * deterministically from a seed (any range can be produced without holding the file in memory, so
 * multi-GiB files are cheap). Generated files start with the GGUF magic {@code GGUF}.
 */
public final class FakeFile {

  private static final int BLOCK = 64 * 1024;
  private static final byte[] MAGIC = "GGUF".getBytes(StandardCharsets.US_ASCII);

  private final long size;
  private final long seed;

  /** The content when given; null when it is generated from {@code seed}. */
  private final byte @Nullable [] bytes;

  private final byte[] header;

  /** Computed on first use (or given by {@link #seeded(long, long, String)}). */
  private volatile @Nullable String sha256;

  private FakeFile(long size, long seed, byte @Nullable [] bytes) {
    this(size, seed, bytes, MAGIC);
  }

  private FakeFile(long size, long seed, byte @Nullable [] bytes, byte[] header) {
    this.size = size;
    this.seed = seed;
    this.bytes = bytes;
    this.header = header;
  }

  /**
   * {@code size} bytes that start with a real GGUF header (built with {@link GgufHeader}) followed
   * by pseudo-random bytes from {@code seed}, so a pulled file has {@code details} to read.
   */
  public static FakeFile gguf(byte[] header, long size, long seed) {
    if (header.length > BLOCK || size < header.length) {
      throw new IllegalArgumentException("the header must fit in the first 64 KiB and in the file");
    }
    return new FakeFile(size, seed, null, header.clone());
  }

  /** {@code size} pseudo-random bytes from {@code seed}, starting with {@code GGUF}. */
  public static FakeFile seeded(long size, long seed) {
    if (size < MAGIC.length) {
      throw new IllegalArgumentException("a generated GGUF file needs at least 4 bytes");
    }
    return new FakeFile(size, seed, null);
  }

  /**
   * {@link #seeded(long, long)} whose sha256 is already known (e.g. printed by an earlier run), so
   * a benchmark does not hash a multi-GiB file again at start-up. The value is trusted as given.
   */
  public static FakeFile seeded(long size, long seed, String knownSha256) {
    FakeFile file = seeded(size, seed);
    file.sha256 = knownSha256;
    return file;
  }

  /** Exactly these bytes (a copy is kept), e.g. a file without the GGUF magic. */
  public static FakeFile of(byte[] content) {
    return new FakeFile(content.length, 0, content.clone());
  }

  public long size() {
    return size;
  }

  /** Lower-case hex sha256 of the content (computed once, streaming). */
  public String sha256() {
    String s = sha256;
    if (s == null) {
      MessageDigest md = newSha256();
      byte[] buf = new byte[BLOCK];
      for (long off = 0; off < size; off += BLOCK) {
        int n = (int) Math.min(BLOCK, size - off);
        read(off, buf, 0, n);
        md.update(buf, 0, n);
      }
      s = HexFormat.of().formatHex(md.digest());
      sha256 = s;
    }
    return s;
  }

  /**
   * Fills {@code dst[dstOff, dstOff+len)} with the content starting at file offset {@code offset}.
   */
  public void read(long offset, byte[] dst, int dstOff, int len) {
    if (offset < 0 || len < 0 || offset + len > size) {
      throw new IndexOutOfBoundsException("range " + offset + "+" + len + " outside " + size);
    }
    if (bytes != null) {
      System.arraycopy(bytes, (int) offset, dst, dstOff, len);
      return;
    }
    int done = 0;
    byte[] block = new byte[BLOCK];
    while (done < len) {
      long pos = offset + done;
      long blockIndex = pos / BLOCK;
      int within = (int) (pos % BLOCK);
      fillBlock(blockIndex, block);
      int n = Math.min(BLOCK - within, len - done);
      System.arraycopy(block, within, dst, dstOff + done, n);
      done += n;
    }
  }

  /** Writes the whole content to {@code out} (e.g. to put the same file behind another server). */
  public void writeTo(OutputStream out) throws IOException {
    byte[] buf = new byte[BLOCK];
    for (long off = 0; off < size; off += BLOCK) {
      int n = (int) Math.min(BLOCK, size - off);
      read(off, buf, 0, n);
      out.write(buf, 0, n);
    }
  }

  private void fillBlock(long blockIndex, byte[] block) {
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + blockIndex);
    for (int i = 0; i < BLOCK; i += 8) {
      long v = random.nextLong();
      for (int b = 0; b < 8; b++) {
        block[i + b] = (byte) (v >>> (8 * b));
      }
    }
    if (blockIndex == 0) {
      System.arraycopy(header, 0, block, 0, header.length);
    }
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
