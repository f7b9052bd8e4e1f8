package io.github.shimmypull.supervisor;

import static io.github.shimmypull.supervisor.SupervisorFixture.alive;
import static io.github.shimmypull.supervisor.SupervisorFixture.awaitGone;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.FakeShimmy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the JVM that runs a supervisor of three instances and checks that no Shimmy outlives it.
 */
class NoOrphanTest {

  @TempDir Path tmp;

  private final List<Long> pidsToKill = new ArrayList<>();
  private final List<Process> hosts = new ArrayList<>();

  @AfterEach
  void cleanUp() throws InterruptedException {
    for (Process p : hosts) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    for (long pid : pidsToKill) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private List<Long> startHost(String watchdog) throws Exception {
    Path dir = tmp.resolve("models");
    FakeShimmy.writeGguf(dir.resolve("a.gguf"));
    FakeShimmy.writeGguf(dir.resolve("b.gguf"));
    FakeShimmy.writeGguf(dir.resolve("c.gguf"));
    List<String> cmd =
        List.of(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-cp",
            System.getProperty("java.class.path"),
            SupervisorHost.class.getName(),
            dir.toString(),
            watchdog);
    Process host =
        new ProcessBuilder(cmd).redirectError(tmp.resolve("host-stderr.txt").toFile()).start();
    hosts.add(host);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8));
    List<Long> pids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String line = out.readLine();
      assertThat(line).as("host output (stderr in host-stderr.txt)").startsWith("SHIMMY_PID ");
      long pid = Long.parseLong(line.substring("SHIMMY_PID ".length()).trim());
      pidsToKill.add(pid);
      assertThat(alive(pid)).isTrue();
      pids.add(pid);
    }
    assertThat(pids).doesNotHaveDuplicates();
    return pids;
  }

  private static boolean allGone(List<Long> pids, Duration timeout) throws InterruptedException {
    for (long pid : pids) {
      if (!awaitGone(pid, timeout)) {
        return false;
      }
    }
    return true;
  }

  @Test
  void sigkillOfTheSupervisingJvmStillEndsEveryInstanceThroughTheWatchdog() throws Exception {
    List<Long> shimmies = startHost("watchdog");
    hosts.get(0).destroyForcibly();
    assertThat(allGone(shimmies, Duration.ofSeconds(20))).isTrue();
  }

  @Test
  void withoutTheWatchdogASigkilledJvmLeavesShimmyRunning() throws Exception {
    List<Long> shimmies = startHost("no-watchdog");
    hosts.get(0).destroyForcibly();
    hosts.get(0).waitFor(10, TimeUnit.SECONDS);
    assertThat(awaitGone(shimmies.get(0), Duration.ofSeconds(2))).isFalse();
  }

  @Test
  void sigtermOfTheSupervisingJvmRunsTheShutdownHookThatStopsEveryInstance() throws Exception {
    List<Long> shimmies = startHost("no-watchdog");
    hosts.get(0).destroy();
    assertThat(hosts.get(0).waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(allGone(shimmies, Duration.ofSeconds(5))).isTrue();
  }
}
