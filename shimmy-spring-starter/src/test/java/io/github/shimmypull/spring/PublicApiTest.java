package io.github.shimmypull.spring;

import io.github.shimmypull.testkit.internal.api.ApiListing;
import io.github.shimmypull.testkit.internal.api.NullMarkedPackages;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The public API of shimmy-spring-starter (every package except {@code internal} ones) is the
 * listing checked in as {@code api/shimmy-spring-starter.api}, so that a change to it is made on
 * purpose. To record a deliberate change, run {@code .ci/update-api} and commit the listing (see
 * CONTRIBUTING.md). Every package is {@code @NullMarked}, so that NullAway checks it.
 */
class PublicApiTest {

  @Test
  void publicApiIsTheCheckedInListing() {
    ApiListing.check(Path.of("target/classes"), Path.of("api/shimmy-spring-starter.api"));
  }

  @Test
  void everyPackageIsNullMarkedSoNullAwayChecksIt() {
    NullMarkedPackages.check(Path.of("target/classes"));
  }
}
