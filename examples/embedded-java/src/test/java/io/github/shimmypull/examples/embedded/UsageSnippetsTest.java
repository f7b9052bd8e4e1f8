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
 * Every code block of docs/usage.md and README.md that names its source ({@code <!-- from PATH
 * -->}) is a verbatim excerpt of that file (ignoring whitespace and line breaks), so the guides
 * show code the build compiles and tests.
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
      if (matcher
          .group(1)
          .equals("examples/spring-ai-app/src/main/resources/application.properties")) {
        matcher
            .group(2)
            .lines()
            .map(String::trim)
            .filter(line -> !line.isEmpty())
            .forEach(quoted::add);
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
      String snippet = matcher.group(2);
      assertThat(withoutWhitespace(Files.readString(source)))
          .as("snippet from %s is a contiguous excerpt of it:%n%s", source, snippet)
          .contains(withoutWhitespace(snippet));
    }
    return snippets;
  }

  /**
   * The text with all whitespace removed: an excerpt is compared token for token, so a guide may
   * wrap a long line differently from the formatter without the check losing its point.
   */
  private static String withoutWhitespace(String text) {
    return text.replaceAll("\\s+", "");
  }
}
