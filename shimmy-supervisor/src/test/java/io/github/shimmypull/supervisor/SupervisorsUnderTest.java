package io.github.shimmypull.supervisor;

import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scaffolding of the per-model supervisor tests: a model directory of fake GGUF files under a
 * temporary directory, and every supervisor a test starts stopped after it (no child left running).
 */
abstract class SupervisorsUnderTest {

  @TempDir Path tmp;

  private final List<ProcessShimmySupervisor> supervisors = new ArrayList<>();

  @AfterEach
  void stopAll() {
    supervisors.forEach(ProcessShimmySupervisor::stop);
  }

  /** {@code <tmp>/models} holding a small fake GGUF file for each of {@code names}. */
  Path models(String... names) {
    Path dir = tmp.resolve("models");
    for (String name : names) {
      FakeShimmy.writeGguf(dir.resolve(name));
    }
    return dir;
  }

  /** Starts {@code s} and stops it after the test. */
  ProcessShimmySupervisor track(ProcessShimmySupervisor s) {
    supervisors.add(s);
    s.start();
    return s;
  }
}
