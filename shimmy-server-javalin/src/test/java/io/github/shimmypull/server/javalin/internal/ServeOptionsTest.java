package io.github.shimmypull.server.javalin.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.supervisor.ShimmyOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The {@code serve} options: defaults, environment variables, and option precedence. */
class ServeOptionsTest {

  @Test
  void defaultsMatchTheServerInterface() {
    ServeCommand serve = Cli.parseServe(Map.of());

    assertThat(serve.port).isEqualTo(8080);
    assertThat(serve.bind).isEqualTo("0.0.0.0");
    assertThat(serve.modelDir).isEqualTo(Path.of("./models"));
    assertThat(serve.shimmyCommand).isEqualTo("shimmy");
    assertThat(serve.hfEndpoint).isNull();
    assertThat(serve.hfToken).isNull();
    assertThat(serve.adminToken).isNull();
    assertThat(serve.restartMode).isEqualTo(RestartMode.BLUE_GREEN);
    assertThat(serve.readyTimeout).isEqualTo(Duration.ofSeconds(120));
    assertThat(serve.pull).isEmpty();
    assertThat(serve.proxyEngine).isEqualTo(ProxyEngine.NETTY);
    assertThat(serve.maxLoadedModels).isEqualTo(1);
    assertThat(serve.maxLoadedBytes).isNull();
    assertThat(serve.maxQueue).isEqualTo(64);
    assertThat(serve.queueTimeout).isEqualTo(Duration.ofSeconds(60));
    assertThat(serve.keepAlive).as("-1: never").isEqualTo(Duration.ofSeconds(-1));
    assertThat(serve.defaultModel).isNull();
  }

  @Test
  void withoutOptionsTheServerRunsOnTheDefaultsOfShimmyOptions() {
    assertThat(Cli.parseServe(Map.of()).toOptions())
        .usingRecursiveComparison()
        .isEqualTo(ShimmyOptions.defaults());
  }

  @Test
  void shimmyUrlDiskReserveBodyReadTimeoutAndMaxBodyBytesComeFromTheEnvironmentAndOptionsWin() {
    Map<String, String> env =
        Map.of(
            "SHIMMY_PULL_SHIMMY_URL", "http://127.0.0.1:11435",
            "SHIMMY_PULL_DISK_RESERVE_BYTES", "5GiB",
            "SHIMMY_PULL_BODY_READ_TIMEOUT", "10s",
            "SHIMMY_PULL_MAX_BODY_BYTES", "64MiB");

    ShimmyOptions fromEnv = Cli.parseServe(env).toOptions();
    ShimmyOptions withOptions =
        Cli.parseServe(
                env,
                "--shimmy-url",
                "http://shimmy:9000",
                "--disk-reserve-bytes",
                "0",
                "--body-read-timeout",
                "500ms",
                "--max-body-bytes",
                "1000")
            .toOptions();

    assertThat(fromEnv.shimmyUrl()).isEqualTo(URI.create("http://127.0.0.1:11435"));
    assertThat(fromEnv.diskReserveBytes()).isEqualTo(5L << 30);
    assertThat(fromEnv.bodyReadTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(fromEnv.maxBodyBytes()).isEqualTo(64L << 20);
    assertThat(withOptions.shimmyUrl()).isEqualTo(URI.create("http://shimmy:9000"));
    assertThat(withOptions.diskReserveBytes()).isZero();
    assertThat(withOptions.bodyReadTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(withOptions.maxBodyBytes()).isEqualTo(1000);
  }

  @Test
  void theHelpShowsTheSharedDefaultsAsAUserTypesThem() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Cli.execute(
        new String[] {"serve", "--help"},
        Map.of(),
        new PrintStream(out),
        new PrintStream(new ByteArrayOutputStream()));
    String help = out.toString(StandardCharsets.UTF_8).replaceAll("\\s+", " ");

    assertThat(help)
        .contains("SHIMMY_PULL_READY_TIMEOUT, default 120s")
        .contains("SHIMMY_PULL_RESTART_MODE, default blue-green")
        .contains("SHIMMY_PULL_MAX_BODY_BYTES, default 32MiB")
        .contains("SHIMMY_PULL_DISK_RESERVE_BYTES, default 1GiB")
        .contains("SHIMMY_PULL_QUEUE_TIMEOUT, default 60s")
        .contains("SHIMMY_PULL_KEEP_ALIVE, default -1")
        .contains("SHIMMY_PULL_MODEL_DIR, default ./models");
    assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(Durations.format(Duration.ofMinutes(30))).isEqualTo("30m");
    assertThat(Sizes.format(33554432)).isEqualTo("32MiB");
    assertThat(Sizes.format(1000)).isEqualTo("1000");
  }

  @Test
  void aShimmyUrlThatIsNotAnHttpUrlIsAUsageError() {
    assertUsageError("not an http(s) URL", "--shimmy-url", "ftp://x");
    assertUsageError("is not a URL", "--shimmy-url", "not a url");
  }

  @Test
  void capacityOptionsComeFromTheEnvironmentAndOptionsWin() {
    Map<String, String> env =
        Map.of(
            "SHIMMY_PULL_MAX_LOADED_MODELS", "3",
            "SHIMMY_PULL_MAX_LOADED_BYTES", "8GiB",
            "SHIMMY_PULL_MAX_QUEUE", "10",
            "SHIMMY_PULL_QUEUE_TIMEOUT", "5s",
            "SHIMMY_PULL_KEEP_ALIVE", "0",
            "SHIMMY_PULL_DEFAULT_MODEL", "alpha");

    ServeCommand fromEnv = Cli.parseServe(env);
    ServeCommand withOptions =
        Cli.parseServe(
            env,
            "--max-loaded-models",
            "2",
            "--max-loaded-bytes",
            "512MiB",
            "--max-queue",
            "0",
            "--queue-timeout",
            "0",
            "--keep-alive",
            "5m",
            "--default-model",
            "beta");

    assertThat(fromEnv.maxLoadedModels).isEqualTo(3);
    assertThat(fromEnv.maxLoadedBytes).isEqualTo(8L << 30);
    assertThat(fromEnv.maxQueue).isEqualTo(10);
    assertThat(fromEnv.queueTimeout).isEqualTo(Duration.ofSeconds(5));
    assertThat(fromEnv.keepAlive).as("0: stop as soon as idle").isEqualTo(Duration.ZERO);
    assertThat(fromEnv.defaultModel).isEqualTo("alpha");
    assertThat(withOptions.maxLoadedModels).isEqualTo(2);
    assertThat(withOptions.maxLoadedBytes).isEqualTo(512L << 20);
    assertThat(withOptions.maxQueue).isZero();
    assertThat(withOptions.queueTimeout).isEqualTo(Duration.ZERO);
    assertThat(withOptions.keepAlive).isEqualTo(Duration.ofMinutes(5));
    assertThat(withOptions.defaultModel).isEqualTo("beta");
    assertThat(Cli.parseServe(Map.of(), "--keep-alive", "-1").keepAlive)
        .isEqualTo(Duration.ofSeconds(-1));
  }

  @Test
  void badCapacityValuesExitWithTwoAndSayWhatIsWrong() {
    assertUsageError("must be at least 1", "--max-loaded-models", "0");
    assertUsageError("is not a whole number", "--max-loaded-models", "many");
    assertUsageError("512MiB", "--max-loaded-bytes", "lots");
    assertUsageError("must be positive", "--max-loaded-bytes", "0");
    assertUsageError("must not be negative", "--max-queue", "-1");
    assertUsageError("must not be negative", "--queue-timeout", "-5s");
    assertUsageError("-1 (never)", "--keep-alive", "-soon");
    assertUsageError("120s", "--keep-alive", "later");
  }

  @Test
  void aBadCapacityValueFromTheEnvironmentIsAUsageErrorToo() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code =
        Cli.execute(
            new String[] {"serve"},
            Map.of("SHIMMY_PULL_MAX_QUEUE", "-3"),
            new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err));

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--max-queue")
        .contains("must not be negative");
  }

  @Test
  void helpNamesEveryCapacityOptionAndItsVariable() {
    ByteArrayOutputStream serveHelp = new ByteArrayOutputStream();
    ByteArrayOutputStream topHelp = new ByteArrayOutputStream();

    assertThat(
            Cli.execute(
                new String[] {"serve", "--help"}, Map.of(), new PrintStream(serveHelp), System.err))
        .isZero();
    assertThat(Cli.execute(new String[] {"--help"}, Map.of(), new PrintStream(topHelp), System.err))
        .isZero();

    String serve = serveHelp.toString(StandardCharsets.UTF_8);
    String top = topHelp.toString(StandardCharsets.UTF_8);
    for (String option :
        new String[] {
          "--max-loaded-models",
          "--max-loaded-bytes",
          "--max-queue",
          "--queue-timeout",
          "--keep-alive",
          "--default-model"
        }) {
      assertThat(serve).contains(option).contains(EnvDefaults.envName(option));
      assertThat(top).contains(option).contains(EnvDefaults.envName(option));
    }
  }

  @Test
  void sizesAreReadAsBytesOrWithABinaryUnit() {
    assertThat(Sizes.parse("1048576")).isEqualTo(1L << 20);
    assertThat(Sizes.parse("512MiB")).isEqualTo(512L << 20);
    assertThat(Sizes.parse("8GiB")).isEqualTo(8L << 30);
    assertThat(Sizes.parse("8g")).isEqualTo(8L << 30);
    assertThat(Sizes.parse("2 TB")).isEqualTo(2L << 40);
    assertThat(Sizes.parse("64KiB")).isEqualTo(64L << 10);
    assertThatThrownBy(() -> Sizes.parse("8 gigs")).hasMessageContaining("512MiB");
    assertThatThrownBy(() -> Sizes.parse("99999999999TiB")).hasMessageContaining("too large");
  }

  private static void assertUsageError(String message, String... args) {
    assertThatThrownBy(() -> Cli.parseServe(Map.of(), args))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining(args[0])
        .hasMessageContaining(message);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] withCommand = new String[args.length + 1];
    withCommand[0] = "serve";
    System.arraycopy(args, 0, withCommand, 1, args.length);
    assertThat(
            Cli.execute(
                withCommand,
                Map.of(),
                new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err)))
        .as(String.join(" ", args))
        .isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains(args[0]).contains(message);
  }

  @Test
  void environmentVariablesSetEveryOptionAndOptionsWin() {
    Map<String, String> env =
        Map.ofEntries(
            Map.entry("SHIMMY_PULL_PORT", "9090"),
            Map.entry("SHIMMY_PULL_BIND", "127.0.0.1"),
            Map.entry("SHIMMY_PULL_MODEL_DIR", "/data/models"),
            Map.entry("SHIMMY_PULL_SHIMMY_COMMAND", "python3 /opt/fake.py"),
            Map.entry("HF_ENDPOINT", "https://mirror.example"),
            Map.entry("HF_TOKEN", "hf_x"),
            Map.entry("SHIMMY_PULL_ADMIN_TOKEN", "s3cret"),
            Map.entry("SHIMMY_PULL_RESTART_MODE", "in-place"),
            Map.entry("SHIMMY_PULL_READY_TIMEOUT", "2m"),
            Map.entry("SHIMMY_PULL_PULL", "a/b:Q4_K_M,c/d:Q8_0"),
            Map.entry("SHIMMY_PULL_PROXY_ENGINE", "javalin"));

    ServeCommand fromEnv = Cli.parseServe(env);
    ServeCommand withOptions =
        Cli.parseServe(
            env, "--port", "1234", "--hf-endpoint", "https://other.example", "--pull", "e/f:Q2_K");

    assertThat(fromEnv.port).isEqualTo(9090);
    assertThat(fromEnv.bind).isEqualTo("127.0.0.1");
    assertThat(fromEnv.modelDir).isEqualTo(Path.of("/data/models"));
    assertThat(fromEnv.shimmyCommand).isEqualTo("python3 /opt/fake.py");
    assertThat(fromEnv.hfEndpoint).isEqualTo("https://mirror.example");
    assertThat(fromEnv.hfToken).isEqualTo("hf_x");
    assertThat(fromEnv.adminToken).isEqualTo("s3cret");
    assertThat(fromEnv.restartMode).isEqualTo(RestartMode.IN_PLACE);
    assertThat(fromEnv.readyTimeout).isEqualTo(Duration.ofMinutes(2));
    assertThat(fromEnv.pull).containsExactly("a/b:Q4_K_M", "c/d:Q8_0");
    assertThat(fromEnv.proxyEngine).isEqualTo(ProxyEngine.JAVALIN);
    assertThat(Cli.parseServe(env, "--proxy-engine", "NETTY").proxyEngine)
        .isEqualTo(ProxyEngine.NETTY);
    assertThat(withOptions.port).isEqualTo(1234);
    assertThat(withOptions.hfEndpoint).isEqualTo("https://other.example");
    assertThat(withOptions.pull).containsExactly("e/f:Q2_K");
  }

  @Test
  void ourOwnVariablesWinOverHuggingFacesOnes() {
    ServeCommand serve =
        Cli.parseServe(
            Map.of(
                "HF_TOKEN",
                "hf_generic",
                "SHIMMY_PULL_HF_TOKEN",
                "hf_ours",
                "HF_ENDPOINT",
                "https://a.example"));

    assertThat(serve.hfToken).isEqualTo("hf_ours");
    assertThat(serve.hfEndpoint).isEqualTo("https://a.example");
  }

  @Test
  void durationsAreReadInEveryDocumentedForm() {
    assertThat(Durations.parse("120s")).isEqualTo(Duration.ofSeconds(120));
    assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("45")).isEqualTo(Duration.ofSeconds(45));
    assertThat(Durations.parse("PT2M30S")).isEqualTo(Duration.ofSeconds(150));
    assertThatThrownBy(() -> Durations.parse("soon")).hasMessageContaining("120s");
    assertThatThrownBy(() -> Durations.parse("0s")).hasMessageContaining("positive");
  }

  @Test
  void badValuesAreUsageErrors() {
    assertThatThrownBy(() -> Cli.parseServe(Map.of(), "--ready-timeout", "soon"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--ready-timeout");
    assertThatThrownBy(() -> Cli.parseServe(Map.of(), "--restart-mode", "sideways"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("blue-green");
    assertThatThrownBy(() -> Cli.parseServe(Map.of(), "--proxy-engine", "nginx"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("netty or javalin");
    assertThatThrownBy(() -> Cli.parseServe(Map.of(), "--port", "http"))
        .isInstanceOf(CommandLine.ParameterException.class);
  }

  @Test
  void aBareOptionListRunsServeAndNamedCommandsStayAsTheyAre() {
    assertThat(Cli.withDefaultCommand(new String[] {"--port", "0"}))
        .containsExactly("serve", "--port", "0");
    assertThat(Cli.withDefaultCommand(new String[0])).containsExactly("serve");
    assertThat(Cli.withDefaultCommand(new String[] {"pull", "a/b:Q2_K"}))
        .containsExactly("pull", "a/b:Q2_K");
    assertThat(Cli.withDefaultCommand(new String[] {"--version"})).containsExactly("--version");
  }
}
