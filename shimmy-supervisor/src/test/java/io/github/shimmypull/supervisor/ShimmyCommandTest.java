package io.github.shimmypull.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShimmyCommandTest {

  @Test
  void splitsOnRunsOfWhitespace() {
    assertThat(ShimmyCommand.parse("  python3\t/opt/fake_shimmy.py  --x "))
        .containsExactly("python3", "/opt/fake_shimmy.py", "--x");
  }

  @Test
  void singleQuotesKeepEverythingLiterally() {
    assertThat(ShimmyCommand.parse("'/opt/my shimmy/bin' 'a\\b' '$HOME'"))
        .containsExactly("/opt/my shimmy/bin", "a\\b", "$HOME");
  }

  @Test
  void doubleQuotesHonourOnlyTheirFourEscapes() {
    assertThat(ShimmyCommand.parse("\"a \\\"b\\\" \\$x \\n\"")).containsExactly("a \"b\" $x \\n");
  }

  @Test
  void backslashOutsideQuotesEscapesTheNextCharacter() {
    assertThat(ShimmyCommand.parse("my\\ shimmy a\\\\b")).containsExactly("my shimmy", "a\\b");
  }

  @Test
  void adjacentPartsFormOneWordAndEmptyQuotesAnEmptyWord() {
    assertThat(ShimmyCommand.parse("a'b'\"c\" ''")).containsExactly("abc", "");
  }

  @Test
  void noExpansionOfVariablesTildeOrGlobs() {
    assertThat(ShimmyCommand.parse("$SHIMMY ~/bin/* x")).containsExactly("$SHIMMY", "~/bin/*", "x");
  }

  @Test
  void unbalancedQuotesAreRejected() {
    assertThatThrownBy(() -> ShimmyCommand.parse("shimmy 'oops"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unbalanced single quote");
    assertThatThrownBy(() -> ShimmyCommand.parse("shimmy \"oops"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unbalanced double quote");
    assertThatThrownBy(() -> ShimmyCommand.parse("   "))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void formatRoundTripsThroughParse() {
    List<String> words = List.of("/usr/bin/env", "A=b c", "it's", "", "plain");
    assertThat(ShimmyCommand.parse(ShimmyCommand.format(words))).isEqualTo(words);
  }
}
