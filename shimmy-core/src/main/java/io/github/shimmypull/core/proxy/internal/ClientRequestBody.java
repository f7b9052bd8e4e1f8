package io.github.shimmypull.core.proxy.internal;

import java.io.IOException;
import okhttp3.RequestBody;
import org.jspecify.annotations.Nullable;

/**
 * A request body read from the client while it is forwarded: it tells whether a retry is still safe
 * (nothing was taken from the client that cannot be sent again) and whether a failure was the
 * client's.
 */
public abstract class ClientRequestBody extends RequestBody {

  /** True once a byte that cannot be replayed was read from the client. */
  public abstract boolean consumed();

  /** The failure reading from the client, if that is what failed; else null. */
  public abstract @Nullable IOException clientFailure();
}
