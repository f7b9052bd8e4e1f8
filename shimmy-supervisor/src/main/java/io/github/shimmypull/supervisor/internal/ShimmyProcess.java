package io.github.shimmypull.supervisor.internal;

import io.github.shimmypull.core.internal.DaemonThreads;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * One Shimmy child process: its output (logged line by line and kept as a tail), readiness, the
 * count of requests in flight on it, and stopping it with its descendants.
 */
public final class ShimmyProcess {

  private static final Logger log =
      LoggerFactory.getLogger("io.github.shimmypull.supervisor.shimmy");
  private static final MediaType JSON_TYPE = MediaType.get("application/json");

  /** The line prefix the launcher's watchdog prints before the real child's pid. */
  public static final String WATCHDOG_MARKER = "shimmy-pull watchdog: child ";

  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

  /**
   * Complete {@code /v1/models} answers without the expected ids after which waiting stops: Shimmy
   * scans once at start-up, so a missing id never appears later. Two rather than one so a single
   * odd answer does not decide.
   */
  static final int ANSWERS_WITHOUT_EXPECTED_IDS = 2;

  private final Process process;
  private final int port;
  private final URI baseUrl;
  private final int tailLines;
  private final Deque<String> tail = new ArrayDeque<>();
  private final Thread pump;
  private final CompletableFuture<ShimmyProcess> exited;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final @Nullable OutputStream watchdogPipe;
  private final @Nullable File workingDirectory;
  private volatile long shimmyPid;
  private volatile boolean retiring;
  private volatile boolean stopRequested;
  private volatile List<String> ids = List.of();

  private ShimmyProcess(
      Process process, int port, int tailLines, boolean watchdog, @Nullable File workingDirectory) {
    this.process = process;
    this.workingDirectory = workingDirectory;
    this.port = port;
    this.baseUrl = URI.create("http://127.0.0.1:" + port);
    this.tailLines = tailLines;
    this.shimmyPid = process.pid();
    this.watchdogPipe = watchdog ? process.getOutputStream() : null;
    this.pump = DaemonThreads.thread(this::pumpOutput, "shimmy-output-" + process.pid());
    this.exited = process.onExit().thenApply(p -> this);
  }

  /**
   * Starts the process (stderr merged into stdout). With {@code watchdog} the command is the
   * launcher's {@code /bin/sh} wrapper; its stdin pipe stays open for the life of this JVM.
   *
   * @throws IOException when the executable cannot be run
   */
  public static ShimmyProcess launch(
      ProcessBuilder builder, int port, int tailLines, boolean watchdog) throws IOException {
    Process process = builder.redirectErrorStream(true).start();
    ShimmyProcess p = new ShimmyProcess(process, port, tailLines, watchdog, builder.directory());
    if (!watchdog) {
      process.getOutputStream().close();
    }
    p.pump.start();
    if (watchdog) {
      p.awaitWatchdogMarker();
    }
    ProcessReaper.track(p);
    return p;
  }

  private void awaitWatchdogMarker() {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    while (shimmyPid == process.pid() && System.nanoTime() < deadline && process.isAlive()) {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void pumpOutput() {
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.startsWith(WATCHDOG_MARKER)) {
          try {
            shimmyPid = Long.parseLong(line.substring(WATCHDOG_MARKER.length()).trim());
          } catch (NumberFormatException e) {
            log.debug("unparsable watchdog line: {}", line);
          }
          continue;
        }
        log.info("shimmy pid={} port={}: {}", shimmyPid, port, line);
        synchronized (tail) {
          tail.addLast(line);
          while (tail.size() > tailLines) {
            tail.removeFirst();
          }
        }
      }
    } catch (IOException e) {
      log.debug("output of shimmy pid={} closed: {}", shimmyPid, e.toString());
    }
  }

  /** Pid of the Shimmy process itself (not the watchdog wrapper). */
  public long pid() {
    return shimmyPid;
  }

  public int port() {
    return port;
  }

  public URI baseUrl() {
    return baseUrl;
  }

  /** The ids {@code /v1/models} listed when it became ready. */
  public List<String> ids() {
    return ids;
  }

  /** The last lines of output, oldest first. */
  public List<String> tail() {
    synchronized (tail) {
      return List.copyOf(tail);
    }
  }

  /** The tail once all output of an exited process has been read (waits up to 1 s for it). */
  public List<String> finalTail() {
    try {
      pump.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return tail();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Exit code, or null while running. */
  public @Nullable Integer exitCode() {
    return process.isAlive() ? null : process.exitValue();
  }

  /** Completes when the process has exited. */
  public CompletableFuture<ShimmyProcess> onExit() {
    return exited;
  }

  /** Whether we asked this process to stop (so its exit is not a crash). */
  public boolean stopRequested() {
    return stopRequested;
  }

  /** Counts a request in flight; false once the instance is retiring (use the new one). */
  public boolean tryEnter() {
    inFlight.incrementAndGet();
    if (retiring) {
      leave();
      return false;
    }
    return true;
  }

  /** Ends a request counted by {@link #tryEnter()}. */
  public void leave() {
    if (inFlight.decrementAndGet() <= 0) {
      synchronized (inFlight) {
        inFlight.notifyAll();
      }
    }
  }

  public int inFlight() {
    return inFlight.get();
  }

  /**
   * Stops taking new requests and waits until those in flight are done, at most {@code timeout}.
   *
   * @return true when none is left in flight
   */
  public boolean drain(Duration timeout) {
    retiring = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (inFlight) {
      while (inFlight.get() > 0 && process.isAlive()) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          return false;
        }
        try {
          inFlight.wait(Math.min(left, 50));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Polls {@code GET /health} until 200 and {@code GET /v1/models} until it lists every expected
   * id, then optionally warms up {@code warmUpModel} with a one-token completion. Fails at once
   * when the process exits, and with READY_TIMEOUT as soon as two complete {@code /v1/models}
   * answers lack an expected id (Shimmy never re-scans, so waiting longer cannot help).
   */
  public void awaitReady(
      OkHttpClient http,
      Collection<String> expected,
      Duration timeout,
      Duration poll,
      BooleanSupplier cancelled,
      @Nullable String warmUpModel) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    boolean healthy = false;
    int answersWithoutExpected = 0;
    List<String> lastIds = List.of();
    while (true) {
      if (cancelled.getAsBoolean()) {
        throw new SupervisorException(
            SupervisorException.Reason.STOPPED, "start of Shimmy cancelled", null, tail(), null);
      }
      checkAlive();
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        String what =
            healthy
                ? "did not list "
                    + missing(expected, lastIds)
                    + " in /v1/models (it lists "
                    + lastIds
                    + ")"
                : "did not answer GET /health";
        throw new SupervisorException(
            SupervisorException.Reason.READY_TIMEOUT,
            "Shimmy pid "
                + shimmyPid
                + " on port "
                + port
                + " "
                + what
                + " within "
                + timeout.toMillis()
                + " ms",
            null,
            tail(),
            null);
      }
      Duration callTimeout = Duration.ofNanos(Math.min(left, PROBE_TIMEOUT.toNanos()));
      try {
        if (!healthy) {
          healthy = get(http, "/health", callTimeout) != null;
        }
        if (healthy) {
          String body = get(http, "/v1/models", callTimeout);
          if (body != null) {
            lastIds = parseIds(body);
            if (lastIds.containsAll(expected)) {
              ids = lastIds;
              break;
            }
            answersWithoutExpected++;
            if (answersWithoutExpected >= ANSWERS_WITHOUT_EXPECTED_IDS) {
              throw new SupervisorException(
                  SupervisorException.Reason.READY_TIMEOUT,
                  "Shimmy pid "
                      + shimmyPid
                      + " on port "
                      + port
                      + " is serving "
                      + lastIds
                      + " without the expected "
                      + missing(expected, lastIds)
                      + " (it scans the model directory once at start-up, so they will not appear)",
                  null,
                  tail(),
                  null);
            }
          }
        }
      } catch (IOException | JacksonException notYet) {
        log.trace("shimmy pid={} not ready yet: {}", shimmyPid, notYet.toString());
      }
      try {
        exited.get(
            Math.min(poll.toNanos(), Math.max(1, deadline - System.nanoTime())),
            TimeUnit.NANOSECONDS);
      } catch (TimeoutException stillRunning) {
        // poll again
      } catch (ExecutionException e) {
        // onExit does not fail; checkAlive reports the exit
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SupervisorException(SupervisorException.Reason.STOPPED, "interrupted");
      }
    }
    if (warmUpModel != null) {
      warmUp(http, warmUpModel, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    }
    log.info(
        "shimmy pid={} ready on port {} with {} models in {} ms",
        shimmyPid,
        port,
        ids.size(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  private void checkAlive() {
    if (!process.isAlive()) {
      int code = process.exitValue();
      List<String> lines = finalTail();
      throw new SupervisorException(
          SupervisorException.Reason.EXITED,
          "Shimmy pid "
              + shimmyPid
              + " exited with code "
              + code
              + " before it was ready"
              + (lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1))
              + (workingDirectory == null
                  ? ""
                  : " (it ran in "
                      + workingDirectory.getAbsolutePath()
                      + "; relative paths in the Shimmy command resolve from there)"),
          code,
          lines,
          null);
    }
  }

  private static List<String> missing(Collection<String> expected, List<String> have) {
    List<String> out = new ArrayList<>(new TreeSet<>(expected));
    out.removeAll(have);
    return out;
  }

  private @Nullable String get(OkHttpClient http, String path, Duration timeout)
      throws IOException {
    Request request = new Request.Builder().url(baseUrl.resolve(path).toString()).get().build();
    okhttp3.Call call = http.newCall(request);
    call.timeout().timeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
    try (Response response = call.execute()) {
      ResponseBody body = response.body();
      return response.code() == 200 ? body.string() : null;
    }
  }

  static List<String> parseIds(String body) {
    JsonNode root = Json.lenientReader().readTree(body);
    List<String> out = new ArrayList<>();
    for (JsonNode model : root.path("data")) {
      String id = model.path("id").asString("");
      if (!id.isEmpty()) {
        out.add(id);
      }
    }
    return List.copyOf(out);
  }

  private void warmUp(OkHttpClient http, String model, Duration timeout) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", model);
    body.put("messages", List.of(Map.of("role", "user", "content", "Hi")));
    body.put("stream", false);
    body.put("max_tokens", 1);
    Request request =
        new Request.Builder()
            .url(baseUrl.resolve("/v1/chat/completions").toString())
            .post(RequestBody.create(Json.write(body), JSON_TYPE))
            .build();
    okhttp3.Call call = http.newCall(request);
    call.timeout().timeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
    long t0 = System.nanoTime();
    try (Response response = call.execute()) {
      if (response.code() != 200) {
        throw new SupervisorException(
            SupervisorException.Reason.READY_TIMEOUT,
            "warm-up of "
                + model
                + " on Shimmy pid "
                + shimmyPid
                + " answered HTTP "
                + response.code(),
            null,
            tail(),
            null);
      }
      response.body().string();
    } catch (IOException e) {
      checkAlive();
      throw new SupervisorException(
          SupervisorException.Reason.READY_TIMEOUT,
          "warm-up of " + model + " on Shimmy pid " + shimmyPid + " failed: " + e.getMessage(),
          null,
          tail(),
          e);
    }
    log.info(
        "shimmy pid={} warmed up {} in {} ms",
        shimmyPid,
        model,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  /**
   * Stops the process and its descendants: SIGTERM, up to {@code grace}, then SIGKILL. Returns when
   * they are gone (or after a further 5 s).
   */
  public void stop(Duration grace) {
    stopRequested = true;
    retiring = true;
    long t0 = System.nanoTime();
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    for (ProcessHandle h : tree) {
      h.destroy();
    }
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("shimmy pid={} did not stop within {}; killing it", shimmyPid, grace);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<ProcessHandle> left = new ArrayList<>(tree);
    left.addAll(process.descendants().toList());
    for (ProcessHandle h : left) {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.debug(
        "stopped shimmy pid={} in {} ms",
        shimmyPid,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    if (watchdogPipe != null) {
      try {
        watchdogPipe.close();
      } catch (IOException e) {
        log.debug("closing the watchdog pipe failed: {}", e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return "shimmy pid=" + shimmyPid + " port=" + port;
  }
}
