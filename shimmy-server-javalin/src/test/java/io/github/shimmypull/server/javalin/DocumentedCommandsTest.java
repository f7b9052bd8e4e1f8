package io.github.shimmypull.server.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The commands the README and docs/server.md tell a new user to run work as written. */
class DocumentedCommandsTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @ParameterizedTest
  @ValueSource(strings = {"README.md", "docs/server.md"})
  void theFakeShimmyClassPathIsAbsoluteBecauseShimmyRunsInItsOwnDirectory(String doc)
      throws Exception {
    List<String> lines =
        Files.readAllLines(ROOT.resolve(doc)).stream()
            .filter(l -> l.startsWith("CP=$(ls"))
            .toList();

    assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("CP=$(ls \"$PWD\"/"));
  }

  @Test
  void theModelDirectoryOfTheDocumentedCommandsIsIgnoredByGit() throws Exception {
    assertThat(Files.readAllLines(ROOT.resolve(".gitignore"))).contains("/models/");
  }
}
