package io.github.shimmypull.core.supervisor;

import java.net.URI;

/**
 * A Shimmy instance, held for the duration of one proxied request. While a lease is open the
 * instance is not stopped (a blue-green replacement, an eviction or an unload drains it first).
 * Close exactly once.
 */
public interface Lease extends AutoCloseable {

  /** The model the leased instance serves, or {@code ""} for a backend that does not say. */
  default String model() {
    return "";
  }

  /** Base URL of the instance, e.g. {@code http://127.0.0.1:41234}. */
  URI baseUrl();

  /** Releases the lease; never throws. */
  @Override
  void close();
}
