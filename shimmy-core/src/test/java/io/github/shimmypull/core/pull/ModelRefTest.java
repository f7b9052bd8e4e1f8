package io.github.shimmypull.core.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelRefTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      nullValues = "-",
      textBlock =
          """
      owner/repo:Q4_K_M                                          | owner/repo | Q4_K_M | -                | -
      hf.co/owner/repo:q8_0                                      | owner/repo | q8_0   | -                | -
      huggingface.co/owner/repo                                  | owner/repo | -      | -                | -
      https://huggingface.co/owner/Repo.v2-GGUF                  | owner/Repo.v2-GGUF | - | -            | -
      https://hf.co/owner/repo:IQ2_XXS                           | owner/repo | IQ2_XXS | -               | -
      owner/repo/Q4_K_M/x-00001-of-00002.gguf                    | owner/repo | -      | Q4_K_M/x-00001-of-00002.gguf | -
      https://huggingface.co/owner/repo/resolve/main/x.gguf      | owner/repo | -      | x.gguf           | main
      https://huggingface.co/owner/repo/blob/v1.0/dir/x.gguf     | owner/repo | -      | dir/x.gguf       | v1.0
      owner/repo:Q4_K_M@refs/pr/1                                | owner/repo | Q4_K_M | -                | refs/pr/1
      """)
  void parsesEveryAcceptedForm(String text, String repo, String tag, String file, String revision) {
    ModelRef ref = ModelRef.parse(text);

    assertThat(ref).isEqualTo(new ModelRef(repo, tag, file, revision));
    assertThat(ModelRef.parse(ref.toString())).isEqualTo(ref);
  }

  @Test
  void explicitFileAndRevisionJoinTheReference() {
    assertThat(
            ModelRef.parse(
                "hf.co/owner/repo",
                "dir/x.Q4_K_M.gguf",
                "0123456789abcdef0123456789abcdef01234567"))
        .isEqualTo(
            new ModelRef(
                "owner/repo",
                null,
                "dir/x.Q4_K_M.gguf",
                "0123456789abcdef0123456789abcdef01234567"));
  }

  @ParameterizedTest(name = "[{0}] -> {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      ''                                  | model reference is empty
      owner                               | expected owner/repo
      /repo                               | must not be empty
      owner/                              | expected owner/repo
      owner/re po                         | letters, digits
      owner/repo..x                       | '..' and '--' are not allowed
      owner/repo--x                       | '..' and '--' are not allowed
      -owner/repo                         | starting with a letter or digit
      owner/repo.                         | must not end with '.' or '-'
      owner/repo.git                      | must not end with .git
      owner/repo:                         | quant tag after ':' is empty
      owner/repo:Q4 K                     | invalid quant tag
      owner/repo:Q4/K                     | invalid quant tag
      https://example.com/owner/repo      | only huggingface.co and hf.co URLs
      owner/repo/../x.gguf                | '..' segments are not allowed
      owner/repo/x.bin                    | only GGUF model files
      owner/repo@                         | revision is empty
      owner/repo:Q4_K_M/x.gguf            | invalid quant tag
      """)
  void rejectsInvalidReferencesWithAPreciseMessage(String text, String message) {
    assertInvalid(() -> ModelRef.parse(text), message);
  }

  @ParameterizedTest(name = "[{0}] -> {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      ../x.gguf                | '..' segments are not allowed
      dir/../x.gguf            | '..' segments are not allowed
      ./x.gguf                 | '.' segments are not allowed
      /abs/x.gguf              | no leading '/'
      dir\\x.gguf              | backslashes are not allowed
      dir//x.gguf              | empty path segment
      dir/                     | empty path segment
      x.bin                    | only GGUF model files
      x.safetensors            | only GGUF model files
      x.gguf.part              | only GGUF model files
      .gguf                    | must not start with '.'
      .hidden.gguf             | must not start with '.'
      """)
  void rejectsInvalidFileNames(String file, String message) {
    assertInvalid(() -> ModelRef.parse("owner/repo", file, null), message);
  }

  @Test
  void rejectsControlCharactersInFileNamesAndRevisions() {
    assertInvalid(() -> ModelRef.parse("owner/repo", "x\u0000.gguf", null), "control characters");
    assertInvalid(() -> ModelRef.parse("owner/repo", "x\n.gguf", null), "control characters");
    assertInvalid(() -> ModelRef.parse("owner/repo:Q4_K_M", null, "main\r"), "control characters");
  }

  @ParameterizedTest(name = "[{0}] -> {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      ..              | '..' is not allowed
      v1..v2          | '..' is not allowed
      /main           | no leading, trailing or double '/'
      main/           | no leading, trailing or double '/'
      refs//pr        | no leading, trailing or double '/'
      'my branch'     | spaces are not allowed
      -rf             | must not start with '-' or '.'
      main~1          | expected a branch, tag or 40-hex commit
      main:x          | expected a branch, tag or 40-hex commit
      """)
  void rejectsInvalidRevisions(String revision, String message) {
    assertInvalid(() -> ModelRef.parse("owner/repo:Q4_K_M", null, revision), message);
  }

  @Test
  void rejectsATagAndAFileTogetherAndConflictingParts() {
    assertInvalid(() -> ModelRef.parse("owner/repo:Q4_K_M", "x.gguf", null), "not both");
    assertInvalid(
        () -> ModelRef.parse("owner/repo/x.gguf", "y.gguf", null), "but 'y.gguf' was given too");
    assertInvalid(() -> ModelRef.parse("owner/repo@v1", null, "v2"), "but 'v2' was given too");
  }

  private static void assertInvalid(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.INVALID_REQUEST);
              assertThat(e.getMessage()).contains(message);
            });
  }
}
