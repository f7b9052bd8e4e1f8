package io.github.shimmypull.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.testkit.internal.api.ApiListing;
import io.github.shimmypull.testkit.internal.api.NullMarkedPackages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiListingTest {

  private static final String WIDGET = "io.github.shimmypull.testkit.apifixture.Widget";

  @TempDir Path dir;
  private Path classes;
  private Path listing;

  /** A classes directory holding only the compiled fixture packages (they stay loadable). */
  @BeforeEach
  void copyFixtureClasses() throws IOException {
    Path testClasses = Path.of("target/test-classes");
    classes = dir.resolve("classes");
    listing = dir.resolve("api/fixture.api");
    try (Stream<Path> files =
        Files.walk(testClasses.resolve("io/github/shimmypull/testkit/apifixture"))) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path target = classes.resolve(testClasses.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else {
          Files.copy(file, target);
        }
      }
    }
  }

  @Test
  void listsPublicTypesAndMembersWithoutInternalPackagesOrPackagePrivateMembers() {
    List<String> lines = ApiListing.of(classes);

    assertThat(lines)
        .contains(
            WIDGET + " final class <T extends java.lang.CharSequence>",
            WIDGET + " field public static final int " + WIDGET + ".LIMIT",
            WIDGET + " constructor public " + WIDGET + "()",
            WIDGET + " method public java.lang.String " + WIDGET + ".name(T)",
            WIDGET + "$Size enum");
    assertThat(lines).noneMatch(line -> line.contains(".internal."));
    assertThat(lines).noneMatch(line -> line.contains("hidden") || line.contains("packageField"));
    assertThat(lines).noneMatch(line -> line.contains("synchronized"));
  }

  @Test
  void aChangedApiFailsNamingTheAddedAndTheRemovedLines() throws IOException {
    List<String> recorded = new ArrayList<>(ApiListing.of(classes));
    String nameLine = WIDGET + " method public java.lang.String " + WIDGET + ".name(T)";
    String oldLine = WIDGET + " method public java.lang.String " + WIDGET + ".name()";
    recorded.set(recorded.indexOf(nameLine), oldLine);
    Files.createDirectories(listing.getParent());
    Files.write(listing, recorded, StandardCharsets.UTF_8);

    assertThatThrownBy(() -> ApiListing.compare(classes, listing))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("the public API differs from " + listing.toAbsolutePath())
        .hasMessageContaining(".ci/update-api")
        .hasMessageContaining("added:\n  " + nameLine)
        .hasMessageContaining("removed:\n  " + oldLine);
  }

  @Test
  void aMissingListingFailsWithEveryLineAdded() {
    assertThatThrownBy(() -> ApiListing.compare(classes, listing))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("there is no listing yet")
        .hasMessageContaining("added:\n  ")
        .hasMessageNotContaining("removed:");
  }

  @Test
  void aWrittenListingIsTheOneTheComparisonAccepts() throws IOException {
    ApiListing.write(classes, listing);

    assertThat(Files.readAllLines(listing, StandardCharsets.UTF_8))
        .isEqualTo(ApiListing.of(classes));
    ApiListing.compare(classes, listing);
  }

  @Test
  void aPackageWithoutNullMarkedIsNamed() {
    assertThat(NullMarkedPackages.unmarked(classes))
        .containsExactly("io.github.shimmypull.testkit.apifixture.internal");
    assertThatThrownBy(() -> NullMarkedPackages.check(classes))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("not @NullMarked")
        .hasMessageContaining("\n  io.github.shimmypull.testkit.apifixture.internal");
  }
}
