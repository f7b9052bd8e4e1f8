package io.github.shimmypull.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * shimmy-bom (which has no parent, so that none of our third-party pins leak through it) lists
 * every published module of the reactor at the reactor's version, and nothing else.
 */
class ShimmyBomTest {

  private static final Path ROOT = Path.of("../..");
  private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
  private static final Pattern MANAGED =
      Pattern.compile(
          "<groupId>io\\.github\\.shimmypull</groupId>\\s*<artifactId>([^<]+)</artifactId>\\s*<version>([^<]+)</version>");

  @Test
  void theBomListsEveryPublishedModuleAtTheReactorVersion() throws IOException {
    String parent = Files.readString(ROOT.resolve("pom.xml"));
    String version = firstVersion(parent);
    List<String> published = new ArrayList<>();
    Matcher modules = MODULE.matcher(parent);
    while (modules.find()) {
      String module = modules.group(1);
      if (module.startsWith("shimmy-")
          && !module.equals("shimmy-bom")
          && !module.endsWith("-tests")) {
        published.add(module);
      }
    }
    String bom = Files.readString(ROOT.resolve("shimmy-bom/pom.xml"));
    List<String> managed = new ArrayList<>();
    Matcher entries = MANAGED.matcher(bom.substring(bom.indexOf("<dependencyManagement>")));
    while (entries.find()) {
      managed.add(entries.group(1));
      assertThat(entries.group(2))
          .as("version of %s in shimmy-bom", entries.group(1))
          .isEqualTo(version);
    }
    assertThat(firstVersion(bom)).isEqualTo(version);
    assertThat(managed).containsExactlyInAnyOrderElementsOf(published);
    assertThat(bom).doesNotContain("<parent>");
  }

  private static String firstVersion(String pom) {
    Matcher matcher =
        Pattern.compile("<artifactId>[^<]+</artifactId>\\s*<version>([^<]+)</version>")
            .matcher(pom);
    assertThat(matcher.find()).isTrue();
    return matcher.group(1);
  }
}
