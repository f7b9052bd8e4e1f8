package io.github.shimmypull.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The Shimmy child process lives exactly as long as the application context. */
class ShimmyLifecycleProcessTest {

  @TempDir Path modelDir;

  @Test
  void shimmyStartsWithTheContextAndNoProcessOutlivesItsClose() throws Exception {
    FakeShimmy.writeGguf(modelDir.resolve("tiny-Q4_K_M.gguf"), 64);
    long[] pid = new long[1];

    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ShimmyAutoConfiguration.class))
        .withPropertyValues(
            "shimmy.model-dir=" + modelDir,
            "shimmy.shimmy-command=" + FakeShimmy.commandLine(),
            "shimmy.ready-timeout=60s")
        .run(
            context -> {
              ShimmySupervisor supervisor = context.getBean(ShimmySupervisor.class);
              BackendState ready = awaitReady(supervisor);
              assertThat(ready.models()).containsExactly("tiny-q4-k-m");
              assertThat(ready.pid()).isNotNull();
              pid[0] = ready.pid();
              assertThat(ProcessHandle.of(pid[0]).map(ProcessHandle::isAlive)).contains(true);
            });

    Optional<ProcessHandle> child = ProcessHandle.of(pid[0]);
    assertThat(child.map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }

  private static BackendState awaitReady(ShimmySupervisor supervisor) {
    return Await.until(
        Duration.ofSeconds(60),
        "Shimmy ready",
        supervisor::state,
        state -> state.status() == BackendStatus.READY);
  }
}
