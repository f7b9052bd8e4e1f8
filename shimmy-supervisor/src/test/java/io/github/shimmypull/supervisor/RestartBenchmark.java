package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.testkit.FakeShimmy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Measures the per-model supervisor against the fake Shimmy's own start-up time: a cold start
 * (request for a model that is not running), a swap with capacity 1 (request for B while A is
 * idle), a blue-green replacement after the model's file is re-published, and failed requests
 * during replacements under load. Run (from the repo root):
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
    Path root = Files.createTempDirectory("restart-bench");
    Path dir = root.resolve("models");
    FakeShimmy.writeGguf(dir.resolve("bench-a.gguf"));
    FakeShimmy.writeGguf(dir.resolve("bench-b.gguf"));

    for (int i = 0; i < 3; i++) {
      spawnToHealthMillis(dir);
    }
    List<Double> spawn = new ArrayList<>();
    List<Double> cold = new ArrayList<>();
    List<Double> swap = new ArrayList<>();
    List<Double> replace = new ArrayList<>();
    try (ProcessShimmySupervisor swapper = supervisor(dir).build()) {
      swapper.load("bench-a", Duration.ofSeconds(60));
      for (int i = 0; i < rounds; i++) {
        spawn.add(spawnToHealthMillis(dir));
        try (ProcessShimmySupervisor fresh = supervisor(dir).maxLoadedModels(2).build()) {
          fresh.start();
          cold.add(timeMillis(() -> fresh.acquire("bench-b", Duration.ofSeconds(60)).close()));
          fresh.load("bench-a", Duration.ofSeconds(60));
          republish(root, dir, "bench-a.gguf", 64 + i + 1);
          replace.add(timeMillis(() -> fresh.refresh(List.of(), Duration.ofSeconds(60))));
        }
        String next = i % 2 == 0 ? "bench-b" : "bench-a";
        swap.add(timeMillis(() -> swapper.acquire(next, Duration.ofSeconds(60)).close()));
      }
    }
    System.out.println("fake shimmy spawn -> /health 200 (direct):     " + summary(spawn));
    System.out.println("cold start: acquire(model not running) -> lease: " + summary(cold));
    System.out.println("swap, capacity 1, other model idle -> lease:   " + summary(swap));
    System.out.println("refresh() blue-green replacement -> switched:  " + summary(replace));
    System.out.printf(
        "overhead: cold start %.0f ms, swap %.0f ms (medians minus the median direct start-up)%n",
        median(cold) - median(spawn), median(swap) - median(spawn));
    load(root, dir, rounds);
  }

  private static ProcessShimmySupervisor.Builder supervisor(Path dir) {
    return ProcessShimmySupervisor.newBuilder(dir).command(FakeShimmy.command()).warmAtStart(false);
  }

  private static void republish(Path root, Path dir, String name, int size) throws IOException {
    Path staged = FakeShimmy.writeGguf(root.resolve("staging").resolve(name), size);
    Files.move(
        staged,
        dir.resolve(name),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  private static void load(Path root, Path dir, int replacements) throws Exception {
    try (ProcessShimmySupervisor s = supervisor(dir).build()) {
      s.load("bench-a", Duration.ofSeconds(60));
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      List<Thread> clients = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        Thread t =
            new Thread(
                () -> {
                  while (running.get()) {
                    try (Lease lease = s.acquire("bench-a", Duration.ofSeconds(10))) {
                      if (SupervisorFixture.chat(lease, "bench-a").startsWith("200 ")) {
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
      for (int i = 0; i < replacements; i++) {
        republish(root, dir, "bench-a.gguf", 1000 + i);
        s.refresh(List.of(), Duration.ofSeconds(60));
      }
      long elapsed = System.nanoTime() - t0;
      running.set(false);
      for (Thread t : clients) {
        t.join();
      }
      System.out.printf(
          "blue-green under load: %d replacements in %d ms, 8 client threads, %d requests ok, %d failed%n",
          replacements, TimeUnit.NANOSECONDS.toMillis(elapsed), ok.get(), failed.get());
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
        "median %.0f ms, min %.0f, max %.0f",
        median(millis), Collections.min(millis), Collections.max(millis));
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
