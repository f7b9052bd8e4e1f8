package io.github.shimmypull.core.pull;

import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import mockwebserver3.MockWebServer;
import okhttp3.HttpUrl;

/**
 * Download benchmark driver (not a unit test), run by {@code bench/pull-bench.sh}.
 *
 * <ul>
 *   <li>{@code generate FILE SIZE SEED}: writes the deterministic GGUF-like file a web server will
 *       serve and prints its sha256;
 *   <li>{@code pull CDN_BASE SIZE SEED PARTS PART_SIZE MODEL_DIR RUNS [SHA256 [SYNC_EVERY]]}: a
 *       fake Hub (MockWebServer) redirects to {@code CDN_BASE/cdn/<sha256>}; pulls the file RUNS
 *       times with the given part settings (verification on; background fsync every SYNC_EVERY
 *       bytes, default the puller's, 0 = only the final fsync) and prints one line per run:
 *       seconds, peak heap, and the split of the time into receiving the body and what follows it
 *       (the rest of the hash, verification, the final fsync and the publish).
 * </ul>
 */
public final class PullBench {

  private PullBench() {}

  public static void main(String[] args) throws Exception {
    if (args[0].equals("generate")) {
      FakeFile file = FakeFile.seeded(Long.parseLong(args[2]), Long.parseLong(args[3]));
      try (OutputStream out =
          new BufferedOutputStream(Files.newOutputStream(Path.of(args[1])), 1 << 20)) {
        file.writeTo(out);
      }
      System.out.println(file.sha256());
      return;
    }
    HttpUrl cdn = HttpUrl.get(args[1]);
    FakeFile file =
        args.length > 8
            ? FakeFile.seeded(Long.parseLong(args[2]), Long.parseLong(args[3]), args[8])
            : FakeFile.seeded(Long.parseLong(args[2]), Long.parseLong(args[3]));
    int parts = Integer.parseInt(args[4]);
    long partSize = Long.parseLong(args[5]);
    Path modelDir = Path.of(args[6]);
    int runs = Integer.parseInt(args[7]);
    FakeHuggingFace hub =
        FakeHuggingFace.builder()
            .cdnBaseUrl(cdn)
            .file("bench/bench-GGUF", "bench-Q4_K_M.gguf", file)
            .build();
    try (MockWebServer server = new MockWebServer()) {
      server.setDispatcher(hub);
      server.start(InetAddress.getByName("127.0.0.1"), 0);
      HuggingFacePuller puller =
          HuggingFacePuller.builder()
              .modelDir(modelDir)
              .endpoint("http://127.0.0.1:" + server.getPort())
              .parts(parts)
              .partSize(partSize)
              .diskReserveBytes(0)
              .syncEveryBytes(
                  args.length > 9
                      ? Long.parseLong(args[9])
                      : HuggingFacePuller.DEFAULT_SYNC_EVERY_BYTES)
              .build();
      for (int run = 0; run < runs; run++) {
        Files.deleteIfExists(modelDir.resolve("bench-Q4_K_M.gguf"));
        Files.deleteIfExists(modelDir.resolve(".shimmy-pull/bench-Q4_K_M.gguf.meta.json"));
        resetPeaks();
        long t0 = System.nanoTime();
        long[] bodyDone = {t0}; // when the last body byte was written (the Verifying event)
        PullResult result =
            puller.pull(
                ModelRef.parse("bench/bench-GGUF:Q4_K_M"),
                true,
                event -> {
                  if (event instanceof PullEvent.Verifying) {
                    bodyDone[0] = System.nanoTime();
                  }
                });
        long end = System.nanoTime();
        double seconds = (end - t0) / 1e9;
        if (!result.sha256().equals(file.sha256())) {
          throw new IllegalStateException("sha mismatch");
        }
        System.out.printf(
            Locale.ROOT,
            "pull parts=%d partSize=%d syncEvery=%s seconds=%.3f MiB/s=%.1f peakHeapMiB=%.1f"
                + " body=%.2fs after-body=%.2fs%n",
            parts,
            partSize,
            args.length > 9 ? args[9] : "default",
            seconds,
            file.size() / seconds / 1048576,
            peakHeap() / 1048576.0,
            (bodyDone[0] - t0) / 1e9,
            (end - bodyDone[0]) / 1e9);
      }
      Files.deleteIfExists(modelDir.resolve("bench-Q4_K_M.gguf"));
    }
  }

  private static void resetPeaks() {
    System.gc();
    ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
  }

  private static long peakHeap() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP)
        .mapToLong(p -> p.getPeakUsage().getUsed())
        .sum();
  }
}
