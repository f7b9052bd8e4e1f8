package io.github.shimmypull.core.supervisor;

import java.net.URI;

/**
 * The live Shimmy instance, held for the duration of one proxied request. While a lease is open
 * the instance is not stopped (a blue-green switch drains it first). Close exactly once.
 */
public interface Lease extends AutoCloseable {

  /** Base URL of the instance, e.g. {@code http://127.0.0.1:41234}. */
  URI baseUrl();

  /** Releases the lease; never throws. */
  @Override
  void close();
}
