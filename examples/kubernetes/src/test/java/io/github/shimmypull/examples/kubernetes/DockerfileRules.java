package io.github.shimmypull.examples.kubernetes;

import io.github.shimmypull.examples.kubernetes.Dockerfile.Instruction;
import io.github.shimmypull.examples.kubernetes.Dockerfile.Stage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The rules examples/docker/Dockerfile must follow; each broken rule is one readable violation. */
final class DockerfileRules {

  static final String RUNTIME_BASE = "eclipse-temurin:17-jre";

  /** Shimmy's prebuilt Linux binary needs glibc 2.39: Ubuntu 24.04 (noble) or later. */
  static final String RUNTIME_DISTRIBUTION = "-noble";

  static final String SHIMMY_BINARY = "/usr/local/bin/shimmy";
  static final String SHIMMY_RELEASE_URL =
      "https://github.com/Michael-A-Kuykendall/shimmy/releases/download/v${SHIMMY_VERSION}/${SHIMMY_ASSET}";

  private DockerfileRules() {}

  static List<String> violations(Dockerfile dockerfile) {
    List<String> violations = new ArrayList<>();
    if (dockerfile.stages().isEmpty()) {
      violations.add("no FROM: not a Dockerfile");
      return violations;
    }
    Stage runtime = dockerfile.finalStage();
    if (!runtime.baseImage().startsWith(RUNTIME_BASE)) {
      violations.add(
          "runtime stage is based on " + runtime.baseImage() + ", expected " + RUNTIME_BASE);
    }
    if (!runtime.baseImage().endsWith(RUNTIME_DISTRIBUTION)) {
      violations.add(
          "runtime base "
              + runtime.baseImage()
              + " does not pin Ubuntu noble, whose glibc 2.39 Shimmy's binary needs");
    }
    List<String> entrypoint = execForm(runtime, "ENTRYPOINT", violations);
    String jar =
        entrypoint.size() == 3
                && entrypoint.get(0).equals("java")
                && entrypoint.get(1).equals("-jar")
            ? entrypoint.get(2)
            : null;
    if (jar == null) {
      violations.add("ENTRYPOINT " + entrypoint + " is not [\"java\", \"-jar\", JAR]");
    } else {
      checkJarCopy(dockerfile, runtime, jar, violations);
    }
    checkUser(runtime, violations);
    checkModelVolumeAndCommand(runtime, violations);
    checkShimmyBinary(dockerfile, runtime, violations);
    return violations;
  }

  /** The facts a pod spec relies on; call only on a Dockerfile without violations. */
  static Image image(Dockerfile dockerfile) {
    List<String> ignored = new ArrayList<>();
    Stage runtime = dockerfile.finalStage();
    return new Image(
        execForm(runtime, "ENTRYPOINT", ignored),
        execForm(runtime, "CMD", ignored),
        numericUser(runtime).orElseThrow(),
        volumes(runtime).get(0),
        SHIMMY_BINARY);
  }

  private static void checkJarCopy(
      Dockerfile dockerfile, Stage runtime, String jar, List<String> violations) {
    Optional<Instruction> copy =
        runtime.all("COPY").stream()
            .filter(c -> !c.words().isEmpty() && c.words().get(c.words().size() - 1).equals(jar))
            .findFirst();
    if (copy.isEmpty()) {
      violations.add("no COPY puts the server jar at the ENTRYPOINT's path " + jar);
      return;
    }
    List<String> words = copy.get().words();
    String from =
        words.stream()
            .filter(w -> w.startsWith("--from="))
            .map(w -> w.substring("--from=".length()))
            .findFirst()
            .orElse(null);
    List<String> sources =
        words.subList(0, words.size() - 1).stream().filter(w -> !w.startsWith("--")).toList();
    Optional<Stage> build = from == null ? Optional.empty() : dockerfile.stage(from);
    if (build.isEmpty() || sources.size() != 1) {
      violations.add(
          "the server jar is not copied from one file of a named build stage: COPY "
              + copy.get().arguments());
      return;
    }
    String expected = join(build.get().workdir(), ServerInterface.SERVER_JAR_BUILD_PATH);
    if (!sources.get(0).equals(expected)) {
      violations.add(
          "COPY source " + sources.get(0) + " is not the server jar's build path " + expected);
    }
    boolean packages =
        build.get().all("RUN").stream()
            .map(Instruction::arguments)
            .anyMatch(
                run ->
                    run.contains("./mvnw")
                        && run.contains("package")
                        && run.contains("-pl shimmy-server-javalin")
                        && run.contains("-am"));
    if (!packages) {
      violations.add(
          "build stage " + from + " does not run ./mvnw package -pl shimmy-server-javalin -am");
    }
  }

  private static void checkUser(Stage runtime, List<String> violations) {
    Optional<Long> uid = numericUser(runtime);
    if (uid.isEmpty()) {
      violations.add(
          "runtime stage has no numeric USER (Kubernetes' runAsNonRoot can only verify a numeric one)");
    } else if (uid.get() == 0) {
      violations.add("runtime stage runs as root (USER 0)");
    }
  }

  private static void checkModelVolumeAndCommand(Stage runtime, List<String> violations) {
    List<String> volumes = volumes(runtime);
    List<String> cmd = execForm(runtime, "CMD", violations);
    violations.addAll(ServerArgs.violations(cmd, "CMD"));
    if (volumes.size() != 1) {
      violations.add(
          "runtime stage declares volumes " + volumes + ", expected exactly the model directory");
    } else {
      String modelDir = ServerArgs.option(cmd, "--model-dir").orElse("./models");
      if (!modelDir.equals(volumes.get(0))) {
        violations.add(
            "CMD --model-dir " + modelDir + " is not the declared VOLUME " + volumes.get(0));
      }
    }
    List<String> exposed =
        runtime.all("EXPOSE").stream()
            .flatMap(e -> e.words().stream())
            .map(p -> p.replaceFirst("/tcp$", ""))
            .toList();
    String port =
        ServerArgs.option(cmd, "--port").orElse(String.valueOf(ServerInterface.DEFAULT_PORT));
    if (!exposed.equals(List.of(port))) {
      violations.add("EXPOSE " + exposed + " does not match the server's port " + port);
    }
  }

  private static void checkShimmyBinary(
      Dockerfile dockerfile, Stage runtime, List<String> violations) {
    List<Instruction> all = dockerfile.allInstructions();
    boolean versionArg =
        all.stream()
            .anyMatch(
                i ->
                    i.keyword().equals("ARG")
                        && i.arguments().trim().matches("SHIMMY_VERSION=\\d+\\.\\d+\\.\\d+"));
    if (!versionArg) {
      violations.add("no ARG SHIMMY_VERSION=<x.y.z> selects Shimmy's release");
    }
    boolean assetArg =
        all.stream()
            .anyMatch(
                i ->
                    i.keyword().equals("ARG") && i.arguments().trim().matches("SHIMMY_ASSET=\\S+"));
    if (!assetArg) {
      violations.add(
          "no ARG SHIMMY_ASSET=<default> lets users override the uncertain release asset name");
    }
    if (all.stream().noneMatch(i -> i.arguments().contains(SHIMMY_RELEASE_URL))) {
      violations.add("Shimmy is not downloaded from " + SHIMMY_RELEASE_URL);
    }
    boolean installed =
        runtime.instructions().stream()
            .anyMatch(
                i ->
                    (i.keyword().equals("COPY") || i.keyword().equals("RUN"))
                        && i.arguments().contains(SHIMMY_BINARY));
    boolean executable =
        all.stream()
            .anyMatch(
                i ->
                    i.keyword().equals("RUN")
                        && i.arguments().contains("chmod +x " + SHIMMY_BINARY));
    if (!installed || !executable) {
      violations.add(
          "Shimmy is not installed as an executable at " + SHIMMY_BINARY + " in the runtime stage");
    }
  }

  private static List<String> execForm(Stage stage, String keyword, List<String> violations) {
    Optional<Instruction> instruction = stage.last(keyword);
    if (instruction.isEmpty()) {
      violations.add("runtime stage has no " + keyword);
      return List.of();
    }
    if (!instruction.get().execForm()) {
      violations.add(
          keyword + " is in shell form; use the exec (JSON array) form so signals reach java");
      return List.of();
    }
    return instruction.get().execArguments();
  }

  private static Optional<Long> numericUser(Stage runtime) {
    return runtime
        .last("USER")
        .map(u -> u.arguments().trim().split(":")[0])
        .filter(u -> u.matches("\\d+"))
        .map(Long::parseLong);
  }

  private static List<String> volumes(Stage runtime) {
    List<String> volumes = new ArrayList<>();
    for (Instruction volume : runtime.all("VOLUME")) {
      volumes.addAll(volume.execForm() ? volume.execArguments() : volume.words());
    }
    return volumes;
  }

  private static String join(String directory, String relative) {
    return directory.endsWith("/") ? directory + relative : directory + "/" + relative;
  }
}
