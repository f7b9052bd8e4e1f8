package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.coordinator.PullJob;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.FakeShimmy;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import mockwebserver3.MockWebServer;

/**
 * Measures how long a pull takes from the end of its download (the {@code discovering} event) to
 * {@code complete} (the live Shimmy lists the new model), against the fake Shimmy's own start-up
 * (spawn → {@code /health} 200) measured in the same run. Everything is real: {@link ShimmyRuntime}
 * with the fake Hub and the fake Shimmy as child processes, blue-green restarts. Run (from the repo
 * root):
 *
 * <pre>
 * ./mvnw -q -pl shimmy-supervisor -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
 *     -cp shimmy-supervisor/target/test-classes:shimmy-supervisor/target/classes:$(cat shimmy-supervisor/target/cp.txt) \
 *     io.github.shimmypull.supervisor.PullToServeBenchmark [rounds]
 * </pre>
 */
public final class PullToServeBenchmark {

  private PullToServeBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    Path modelDir = Files.createTempDirectory("pull-to-serve-bench").resolve("models");
    Files.createDirectories(modelDir);
    FakeShimmy.writeGguf(modelDir.resolve("base-model.gguf"));

    FakeHuggingFace.Builder hub = FakeHuggingFace.builder();
    for (int i = 0; i < rounds; i++) {
      hub.file(
          "bench/model" + i + "-GGUF", "model" + i + "-Q4_K_M.gguf", FakeFile.seeded(1 << 20, i));
    }
    try (MockWebServer server = new MockWebServer()) {
      server.setDispatcher(hub.build());
      server.start(InetAddress.getByName("127.0.0.1"), 0);
      String endpoint = "http://127.0.0.1:" + server.getPort();

      for (int i = 0; i < 3; i++) {
        RestartBenchmark.spawnToHealthMillis(modelDir);
      }
      List<Double> spawn = new ArrayList<>();
      List<Double> publishedToServed = new ArrayList<>();
      List<Double> wholePull = new ArrayList<>();
      try (ShimmyRuntime runtime =
          ShimmyRuntime.builder()
              .modelDir(modelDir)
              .shimmyCommand(FakeShimmy.command())
              .hfEndpoint(endpoint)
              .build()) {
        runtime.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (runtime.supervisor().state().status() != BackendStatus.READY) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "Shimmy did not become ready: " + runtime.supervisor().state());
          }
          Thread.sleep(10);
        }
        for (int i = 0; i < rounds; i++) {
          spawn.add(RestartBenchmark.spawnToHealthMillis(modelDir));
          AtomicLong downloaded = new AtomicLong();
          AtomicLong completed = new AtomicLong();
          long t0 = System.nanoTime();
          PullJob job =
              runtime
                  .coordinator()
                  .submit(ModelRef.parse("bench/model" + i + "-GGUF:Q4_K_M"), false);
          job.subscribe(
              event -> {
                if (event instanceof PullEvent.Discovering) {
                  downloaded.set(System.nanoTime());
                } else if (event instanceof PullEvent.Complete) {
                  completed.set(System.nanoTime());
                }
              });
          job.await(Duration.ofSeconds(120));
          publishedToServed.add((completed.get() - downloaded.get()) / 1e6);
          wholePull.add((completed.get() - t0) / 1e6);
        }
      }
      System.out.println(
          "fake shimmy spawn -> /health 200 (direct):       " + RestartBenchmark.summary(spawn));
      System.out.println(
          "pull: download done (discovering) -> complete:  "
              + RestartBenchmark.summary(publishedToServed));
      System.out.println(
          "pull: submit -> complete (1 MiB model):         " + RestartBenchmark.summary(wholePull));
      double served = RestartBenchmark.median(publishedToServed);
      double startUp = RestartBenchmark.median(spawn);
      System.out.printf(
          "ratio (download done -> served) / (fake Shimmy start-up): %.2f; overhead %.0f ms%n",
          served / startUp, served - startUp);
    }
  }
}
