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
 * Every code block of docs/usage.md and README.md that names its source ({@code <!-- from PATH -->})
 * is a verbatim excerpt of that file (ignoring indentation), so the guides show code the build
 * compiles and tests.
 */
class UsageSnippetsTest {

  private static final Path ROOT = Path.of("../..");
  private static final Pattern SNIPPET =
      Pattern.compile("<!-- from (\\S+) -->\\s*```\\w*\\n(.*?)```", Pattern.DOTALL);

  @Test
  void everySourcedSnippetOfTheUsageGuideIsAnExcerptOfItsSource() throws IOException {
    assertThat(checkSnippets("docs/usage.md")).isGreaterThanOrEqualTo(4);
  }

  @Test
  void everySourcedSnippetOfTheReadmeIsAnExcerptOfItsSource() throws IOException {
    assertThat(checkSnippets("README.md")).isGreaterThanOrEqualTo(5);
  }

  @Test
  void theReadmeQuotesTheSpringAiExamplesOllamaSettings() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    Matcher matcher = SNIPPET.matcher(readme);
    List<String> quoted = new ArrayList<>();
    while (matcher.find()) {
      if (matcher.group(1).equals("examples/spring-ai-app/src/main/resources/application.properties")) {
        quoted.addAll(trimmedLines(matcher.group(2)));
      }
    }

    assertThat(quoted)
        .contains(
            "spring.ai.ollama.chat.model=hf.co/TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF:Q2_K",
            "spring.ai.ollama.init.pull-model-strategy=when_missing");
    assertThat(quoted).anyMatch(line -> line.startsWith("spring.ai.ollama.base-url="));
  }

  private static int checkSnippets(String document) throws IOException {
    String usage = Files.readString(ROOT.resolve(document));
    Matcher matcher = SNIPPET.matcher(usage);
    int snippets = 0;
    while (matcher.find()) {
      snippets++;
      Path source = ROOT.resolve(matcher.group(1));
      assertThat(source).exists();
      List<String> snippet = trimmedLines(matcher.group(2));
      List<String> lines = trimmedLines(Files.readString(source));
      assertThat(containsInOrder(lines, snippet))
          .as("snippet from %s is a contiguous excerpt of it:%n%s", source, String.join("\n", snippet))
          .isTrue();
    }
    return snippets;
  }

  private static List<String> trimmedLines(String text) {
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        lines.add(line.trim());
      }
    }
    return lines;
  }

  private static boolean containsInOrder(List<String> lines, List<String> snippet) {
    for (int start = 0; start + snippet.size() <= lines.size(); start++) {
      if (lines.subList(start, start + snippet.size()).equals(snippet)) {
        return true;
      }
    }
    return false;
  }
}
