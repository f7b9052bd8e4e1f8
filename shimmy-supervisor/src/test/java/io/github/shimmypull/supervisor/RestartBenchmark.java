package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.testkit.FakeShimmy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Measures the supervisor's restart overhead against the fake Shimmy's own start-up time, and
 * counts failed requests during blue-green restarts under load. Run (from the repo root):
 *
 * <pre>
 * ./mvnw -q -pl shimmy-supervisor -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp shimmy-supervisor/target/test-classes:shimmy-supervisor/target/classes:$(cat shimmy-supervisor/target/cp.txt) \
 *     io.github.shimmypull.supervisor.RestartBenchmark [rounds]
 * </pre>
 */
public final class RestartBenchmark {

  private RestartBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    Path dir = Files.createTempDirectory("restart-bench").resolve("models");
    FakeShimmy.writeGguf(dir.resolve("bench-model.gguf"));
    Set<String> ids = Set.of("bench-model");

    for (int i = 0; i < 3; i++) {
      spawnToHealthMillis(dir);
    }
    List<Double> spawn = new ArrayList<>();
    List<Double> blueGreen = new ArrayList<>();
    List<Double> inPlace = new ArrayList<>();
    try (ProcessShimmySupervisor bg =
            ProcessShimmySupervisor.newBuilder(dir).command(FakeShimmy.command()).build();
        ProcessShimmySupervisor ip =
            ProcessShimmySupervisor.newBuilder(dir)
                .command(FakeShimmy.command())
                .restartMode(RestartMode.IN_PLACE)
                .build()) {
      bg.restart(ids, Duration.ofSeconds(60));
      ip.restart(ids, Duration.ofSeconds(60));
      for (int i = 0; i < rounds; i++) {
        spawn.add(spawnToHealthMillis(dir));
        blueGreen.add(timeMillis(() -> bg.restart(ids, Duration.ofSeconds(60))));
        inPlace.add(timeMillis(() -> ip.restart(ids, Duration.ofSeconds(60))));
      }
      System.out.println("fake shimmy spawn -> /health 200 (direct): " + summary(spawn));
      System.out.println("restart() blue-green -> serving:          " + summary(blueGreen));
      System.out.println("restart() in-place -> serving:            " + summary(inPlace));
      System.out.printf(
          "supervisor overhead (median blue-green - median spawn): %.0f ms%n",
          median(blueGreen) - median(spawn));
    }
    load(dir, ids, rounds);
  }

  private static void load(Path dir, Set<String> ids, int restarts) throws Exception {
    try (ProcessShimmySupervisor s =
        ProcessShimmySupervisor.newBuilder(dir).command(FakeShimmy.command()).build()) {
      s.restart(ids, Duration.ofSeconds(60));
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      List<Thread> clients = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        Thread t =
            new Thread(
                () -> {
                  while (running.get()) {
                    try (Lease lease = s.acquire(Duration.ofSeconds(10))) {
                      if (SupervisorFixture.chat(lease, "bench-model").startsWith("200 ")) {
                        ok.incrementAndGet();
                      } else {
                        failed.incrementAndGet();
                      }
                    } catch (IOException | RuntimeException e) {
                      failed.incrementAndGet();
                    }
                  }
                });
        t.start();
        clients.add(t);
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < restarts; i++) {
        s.restart(ids, Duration.ofSeconds(60));
      }
      long elapsed = System.nanoTime() - t0;
      running.set(false);
      for (Thread t : clients) {
        t.join();
      }
      System.out.printf(
          "blue-green under load: %d restarts in %d ms, 8 client threads, %d requests ok, %d failed%n",
          restarts, TimeUnit.NANOSECONDS.toMillis(elapsed), ok.get(), failed.get());
    }
  }

  static double spawnToHealthMillis(Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ShimmyLauncher launcher = ShimmyLauncher.newBuilder(FakeShimmy.command()).build();
    ProcessBuilder pb =
        launcher
            .processBuilder(dir, ShimmyLauncher.serveArguments(port, dir), false)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    long t0 = System.nanoTime();
    Process p = pb.start();
    try {
      Request health = new Request.Builder().url("http://127.0.0.1:" + port + "/health").build();
      while (true) {
        try (Response r = SupervisorFixture.HTTP.newCall(health).execute()) {
          if (r.code() == 200) {
            return (System.nanoTime() - t0) / 1e6;
          }
        } catch (IOException notYet) {
          Thread.sleep(1);
        }
        if (!p.isAlive()) {
          throw new IllegalStateException("fake shimmy exited: " + p.exitValue());
        }
      }
    } finally {
      p.destroy();
      p.waitFor();
    }
  }

  private interface Action {
    void run() throws Exception;
  }

  private static double timeMillis(Action action) throws Exception {
    long t0 = System.nanoTime();
    action.run();
    return (System.nanoTime() - t0) / 1e6;
  }

  /** {@code median X ms, min Y, max Z} of durations in milliseconds. */
  static String summary(List<Double> millis) {
    return String.format(
        "median %.0f ms, min %.0f, max %.0f", median(millis), Collections.min(millis), Collections.max(millis));
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
