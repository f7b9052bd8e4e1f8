package io.github.shimmypull.core.pull.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/** Checks a downloaded partial against what the Hub announced: size, sha256, then GGUF magic. */
final class DownloadVerifier {

  private static final byte[] MAGIC = "GGUF".getBytes(StandardCharsets.US_ASCII);

  private DownloadVerifier() {}

  /**
   * What is wrong with the partial behind {@code ch}, whose bytes hash to {@code sha256}, or null
   * when it is exactly {@code file}.
   */
  static @Nullable String problem(FileChannel ch, PinnedFile file, String sha256)
      throws IOException {
    long size = ch.size();
    String name = file.name();
    if (size != file.size()) {
      return name + " has " + size + " bytes, expected " + file.size();
    }
    if (!sha256.equals(file.file().sha256())) {
      return name
          + " has sha256 "
          + sha256
          + ", expected "
          + file.file().sha256()
          + " (commit "
          + file.commit()
          + ")";
    }
    ByteBuffer head = ByteBuffer.allocate(MAGIC.length);
    ch.read(head, 0);
    if (head.position() < MAGIC.length || !Arrays.equals(head.array(), MAGIC)) {
      return name + " is not a GGUF file (no GGUF magic)";
    }
    return null;
  }
}
