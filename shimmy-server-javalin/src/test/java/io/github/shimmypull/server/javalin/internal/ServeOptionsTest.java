package io.github.shimmypull.server.javalin.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.supervisor.RestartMode;
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
    ServeCommand withOptions = Cli.parseServe(env, "--port", "1234", "--hf-endpoint", "https://other.example", "--pull", "e/f:Q2_K");

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
    assertThat(Cli.parseServe(env, "--proxy-engine", "NETTY").proxyEngine).isEqualTo(ProxyEngine.NETTY);
    assertThat(withOptions.port).isEqualTo(1234);
    assertThat(withOptions.hfEndpoint).isEqualTo("https://other.example");
    assertThat(withOptions.pull).containsExactly("e/f:Q2_K");
  }

  @Test
  void ourOwnVariablesWinOverHuggingFacesOnes() {
    ServeCommand serve =
        Cli.parseServe(Map.of("HF_TOKEN", "hf_generic", "SHIMMY_PULL_HF_TOKEN", "hf_ours", "HF_ENDPOINT", "https://a.example"));

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
    assertThat(Cli.withDefaultCommand(new String[] {"--port", "0"})).containsExactly("serve", "--port", "0");
    assertThat(Cli.withDefaultCommand(new String[0])).containsExactly("serve");
    assertThat(Cli.withDefaultCommand(new String[] {"pull", "a/b:Q2_K"})).containsExactly("pull", "a/b:Q2_K");
    assertThat(Cli.withDefaultCommand(new String[] {"--version"})).containsExactly("--version");
  }
}
