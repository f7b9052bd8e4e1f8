package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;

/**
 * A JVM that supervises the fake Shimmy, one instance per model of the directory, and then idles,
 * for tests that kill the JVM itself. Arguments: model directory, {@code watchdog} or {@code
 * no-watchdog}. Prints {@code SHIMMY_PID <pid>} for each instance once every one serves.
 */
public final class SupervisorHost {

  private SupervisorHost() {}

  public static void main(String[] args) throws InterruptedException {
    Path dir = Paths.get(args[0]);
    ProcessShimmySupervisor supervisor =
        ProcessShimmySupervisor.newBuilder(dir)
            .command(FakeShimmy.command())
            .watchdog(args[1].equals("watchdog"))
            .stopGrace(Duration.ofSeconds(2))
            .maxLoadedModels(10)
            .build();
    List<String> ids =
        new ScanDiscoveryRunner().discover(dir).stream().map(DiscoveredModel::id).toList();
    supervisor.start();
    for (String id : ids) {
      supervisor.load(id, Duration.ofSeconds(60));
    }
    for (InstanceState instance : supervisor.instances()) {
      System.out.println("SHIMMY_PID " + instance.pid());
    }
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
