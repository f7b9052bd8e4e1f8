package io.github.shimmypull.server.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.server.javalin.support.PluginOnlyMain;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Netty and picocli are optional dependencies: the server jar needs them, an application that
 * embeds only the plugin does not inherit them, and the plugin must then work without them.
 */
class PluginWithoutTheServerJarsDependenciesTest {

  @TempDir Path tmp;

  @Test
  void thePluginServesWithoutNettyAndPicocliOnTheClassPath() throws Exception {
    String classPath =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(entry -> !entry.contains("io/netty") && !entry.contains("info/picocli"))
            .collect(Collectors.joining(File.pathSeparator));
    Path out = tmp.resolve("out.txt");
    Process child =
        new ProcessBuilder(
                List.of(
                    Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1",
                    "-cp",
                    classPath,
                    PluginOnlyMain.class.getName(),
                    tmp.resolve("models").toString()))
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    assertThat(child.waitFor(90, TimeUnit.SECONDS)).as("the child JVM exits").isTrue();
    String output = Files.readString(out);

    assertThat(child.exitValue()).as(output).isZero();
    assertThat(output).contains("health 200", "netty false", "picocli false");
  }
}
