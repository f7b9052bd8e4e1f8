package io.github.shimmypull.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.PullException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestPathsTest {

  @ParameterizedTest
  @CsvSource({
    "//v1/api/pull, /v1/api/pull",
    "/x/../v1/api/pull, /v1/api/pull",
    "/v1/./api/pull, /v1/api/pull",
    "/v1/%61pi/pull, /v1/api/pull",
    "/v1/api;jsessionid=1/pull, /v1/api/pull",
    "/v1/api/pull/, /v1/api/pull/",
    "//, /",
    "/, /",
    "/v1/api/models/a%20b, /v1/api/models/a%20b",
    "/v1/api/models/a%2Bb, /v1/api/models/a+b",
    "/v1/chat/completions, /v1/chat/completions",
  })
  void everySpellingOfAPathNormalisesToOneCanonicalForm(String raw, String canonical) {
    assertThat(RequestPaths.normalize(raw)).isEqualTo(canonical);
    assertThat(RequestPaths.normalize(canonical)).isEqualTo(canonical);
    assertThat(RequestPaths.isCanonical(canonical)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "v1/api/pull",
        "/../v1/api/pull",
        "/v1/api%2Fpull",
        "/v1%5capi",
        "/a\\b",
        "/%00",
        "/%zz",
        "/%ff%fe",
        "/%4",
        "*",
        "",
        "/v1/%2e%2e/v1/api/pull"
      })
  void pathsNoRouteMayTakeAreRefusedAsInvalidRequests(String raw) {
    assertThatThrownBy(() -> RequestPaths.normalize(raw))
        .isInstanceOf(PullException.class)
        .extracting(e -> ((PullException) e).reason())
        .isEqualTo(PullException.Reason.INVALID_REQUEST);
    assertThat(RequestPaths.isCanonical(raw)).isFalse();
  }
}
