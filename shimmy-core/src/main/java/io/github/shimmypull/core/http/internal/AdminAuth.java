package io.github.shimmypull.core.http.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.http.HttpExchange;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.jspecify.annotations.Nullable;

/**
 * The admin token check of the mutating endpoints: {@code Authorization: Bearer TOKEN}, compared in
 * constant time (as SHA-256 digests). Without a token every request passes.
 */
public final class AdminAuth {

  private final byte @Nullable [] tokenDigest;

  /**
   * @param token the admin token; null or empty: no check
   */
  public AdminAuth(@Nullable String token) {
    this.tokenDigest = token == null || token.isEmpty() ? null : sha256(token);
  }

  /**
   * Passes when no token is set or the request presents it.
   *
   * @throws PullException UNAUTHORIZED otherwise
   */
  public void require(HttpExchange ex) {
    byte[] expected = tokenDigest;
    if (expected == null) {
      return;
    }
    String header = ex.requestHeader("Authorization");
    String presented =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7).trim()
            : "";
    if (!MessageDigest.isEqual(expected, sha256(presented))) {
      throw new PullException(
          Reason.UNAUTHORIZED,
          header == null
              ? "this endpoint needs 'Authorization: Bearer <admin token>'"
              : "wrong admin token");
    }
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
