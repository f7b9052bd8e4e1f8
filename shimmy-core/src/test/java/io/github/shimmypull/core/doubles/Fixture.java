package io.github.shimmypull.core.doubles;

import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.pull.ModelRef;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A model directory with the in-test doubles and coordinators over it; close it after the test. */
public final class Fixture implements AutoCloseable {

  public final Path modelDir;
  public final ScriptedPuller puller;
  public final DirectoryDiscovery discovery = new DirectoryDiscovery();
  public final RecordingSupervisor supervisor;
  public final DirectoryLocalModels localModels;
  private final List<PullCoordinator> coordinators = new ArrayList<>();

  public Fixture(Path modelDir) {
    this.modelDir = modelDir;
    this.puller = new ScriptedPuller(modelDir);
    this.localModels = new DirectoryLocalModels(modelDir);
    this.supervisor = new RecordingSupervisor(modelDir);
  }

  /** A reference by tag, as {@code owner/repo:TAG}. */
  public static ModelRef ref(String repo) {
    return new ModelRef(repo, "Q4_K_M", null, null);
  }

  /** A coordinator builder over the doubles, with a quick watcher and no background watch. */
  public PullCoordinator.Builder builder() {
    return PullCoordinator.builder()
        .modelDir(modelDir)
        .puller(puller)
        .discovery(discovery)
        .supervisor(supervisor)
        .localModels(localModels)
        .readyTimeout(Duration.ofSeconds(5))
        .watch(false)
        .watchDebounce(Duration.ofMillis(100))
        .scanInterval(Duration.ofMillis(300));
  }

  public PullCoordinator coordinator() {
    return track(builder().build());
  }

  public PullCoordinator track(PullCoordinator coordinator) {
    coordinators.add(coordinator);
    return coordinator;
  }

  @Override
  public void close() {
    puller.release();
    puller.releasePrepares();
    coordinators.forEach(PullCoordinator::close);
  }
}
