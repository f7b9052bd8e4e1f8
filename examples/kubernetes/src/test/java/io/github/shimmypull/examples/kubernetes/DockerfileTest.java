package io.github.shimmypull.examples.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DockerfileTest {

  @Test
  void dockerfileFollowsEveryRule() throws IOException {
    assertThat(DockerfileRules.violations(Dockerfile.parse(Checkouts.dockerfileText()))).isEmpty();
  }

  @Test
  void imageRunsTheServerJarAsANonRootUserWithModelsOnTheVolume() throws IOException {
    Image image = Checkouts.image();

    assertThat(image.entrypoint()).containsExactly("java", "-jar", "/app/shimmy-server.jar");
    assertThat(image.defaultArgs()).containsExactly("serve", "--model-dir", "/models");
    assertThat(image.modelVolume()).isEqualTo("/models");
    assertThat(image.uid()).isPositive();
    assertThat(image.runs("shimmy")).isTrue();
    assertThat(image.runs("/opt/shimmy")).isFalse();
  }

  @Test
  void serverJarIsBuiltFromTheRepositoryRootAndCopiedFromItsStablePath() throws IOException {
    Dockerfile dockerfile = Dockerfile.parse(Checkouts.dockerfileText());
    Dockerfile.Stage build = dockerfile.stage("build").orElseThrow();

    assertThat(build.baseImage()).startsWith("eclipse-temurin:17-jdk");
    assertThat(dockerfile.finalStage().all("COPY"))
        .map(Dockerfile.Instruction::arguments)
        .contains(
            "--from=build "
                + build.workdir()
                + "/"
                + ServerInterface.SERVER_JAR_BUILD_PATH
                + " /app/shimmy-server.jar");
  }

  @Test
  void dockerignoreKeepsTheMavenWrapperButDropsBuildOutput() throws IOException {
    List<String> ignored =
        Files.readAllLines(
            Checkouts.repositoryRoot().resolve(".dockerignore"), StandardCharsets.UTF_8);

    assertThat(ignored).contains("**/target", ".git").doesNotContain(".mvn", "mvnw", "pom.xml");
  }

  /** Fails loudly once shimmy-server-javalin exists but builds its jar under another name. */
  @Test
  void serverModuleBuildsTheJarTheDockerfileCopies() throws IOException {
    Path pom = Checkouts.repositoryRoot().resolve("shimmy-server-javalin/pom.xml");
    assumeTrue(
        Files.exists(pom),
        "shimmy-server-javalin is not in this checkout yet; its jar name is checked once it is");

    String text = Files.readString(pom, StandardCharsets.UTF_8);

    assertThat(text).containsAnyOf("<finalName>shimmy-server</finalName>", "shimmy-server.jar");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("breakages")
  void aBrokenDockerfileIsCaught(
      String breakage, String original, String broken, String expectedViolation)
      throws IOException {
    String text = Checkouts.dockerfileText();
    assertThat(text)
        .as("the Dockerfile still holds the text this breakage replaces")
        .contains(original);

    List<String> violations =
        DockerfileRules.violations(Dockerfile.parse(text.replace(original, broken)));

    assertThat(violations).as(breakage).anySatisfy(v -> assertThat(v).contains(expectedViolation));
  }

  static Stream<Arguments> breakages() {
    return Stream.of(
        Arguments.of(
            "copying a versioned jar name",
            "/src/shimmy-server-javalin/target/shimmy-server.jar /app",
            "/src/shimmy-server-javalin/target/shimmy-server-0.1.0-SNAPSHOT.jar /app",
            "is not the server jar's build path"),
        Arguments.of(
            "moving the build stage's WORKDIR away from the copied path",
            "WORKDIR /src",
            "WORKDIR /workspace",
            "is not the server jar's build path"),
        Arguments.of(
            "an ENTRYPOINT jar the COPY does not write",
            "\"-jar\", \"/app/shimmy-server.jar\"",
            "\"-jar\", \"/app/server.jar\"",
            "no COPY puts the server jar"),
        Arguments.of(
            "a shell-form ENTRYPOINT",
            "ENTRYPOINT [\"java\", \"-jar\", \"/app/shimmy-server.jar\"]",
            "ENTRYPOINT java -jar /app/shimmy-server.jar",
            "shell form"),
        Arguments.of("running as root", "USER 10001:10001", "USER 0", "runs as root"),
        Arguments.of(
            "a user name Kubernetes cannot verify",
            "USER 10001:10001",
            "USER shimmy",
            "no numeric USER"),
        Arguments.of(
            "a volume other than the model directory",
            "VOLUME [\"/models\"]",
            "VOLUME [\"/data\"]",
            "is not the declared VOLUME"),
        Arguments.of(
            "a CMD option the server does not have",
            "CMD [\"serve\", \"--model-dir\", \"/models\"]",
            "CMD [\"serve\", \"--models\", \"/models\"]",
            "option '--models' does not exist"),
        Arguments.of(
            "exposing another port than the server's",
            "EXPOSE 8080",
            "EXPOSE 9090",
            "does not match the server's port"),
        Arguments.of(
            "a JDK runtime base",
            " eclipse-temurin:17-jre-noble\n",
            " eclipse-temurin:17-jdk-noble\n",
            "runtime stage is based on"),
        Arguments.of(
            "a runtime base with an older glibc",
            " eclipse-temurin:17-jre-noble\n",
            " eclipse-temurin:17-jre-jammy\n",
            "glibc 2.39"),
        Arguments.of(
            "no asset override",
            "ARG SHIMMY_ASSET=shimmy-linux-x86_64",
            "ARG SHIMMY_ASSET",
            "no ARG SHIMMY_ASSET"),
        Arguments.of(
            "a Shimmy download not tied to the version argument",
            "download/v${SHIMMY_VERSION}/",
            "download/v2.5.0/",
            "Shimmy is not downloaded from"),
        Arguments.of(
            "a build that skips the server module",
            "-pl shimmy-server-javalin -am",
            "-pl shimmy-core -am",
            "does not run ./mvnw package"),
        Arguments.of(
            "Shimmy left non-executable",
            "chmod +x /usr/local/bin/shimmy",
            "chmod 0644 /usr/local/bin/shimmy",
            "not installed as an executable"));
  }
}
