package io.github.shimmypull.core.coordinator;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A lock that cannot be taken says why, not only where. */
class ModelDirectoryLockCauseTest {

  @TempDir Path modelDir;

  @Test
  void aLockThatCannotBeCreatedNamesTheCause() throws Exception {
    Files.writeString(
        modelDir.resolve(ModelDirectoryLock.STATE_DIR), "a file where the state directory goes");

    assertThatThrownBy(
            () -> new ModelDirectoryLock(modelDir).tryAcquire(Map.of("operation", "pull")))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageStartingWith("cannot lock ")
        .hasMessageContaining("a file is in the way");
  }
}
