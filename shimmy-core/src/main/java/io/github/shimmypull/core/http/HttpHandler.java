package io.github.shimmypull.core.http;

import java.io.IOException;

/**
 * Answers one {@link HttpExchange}. The pull API ({@code ShimmyHttpApi}) and the reverse proxy
 * ({@code ShimmyProxy}) are handlers; adapters hand every request they mount to one.
 */
@FunctionalInterface
public interface HttpHandler {

  /**
   * Answers the exchange completely: status, headers and body. Never leaves an error to the adapter
   * except an {@link IOException} from the client connection itself.
   */
  void handle(HttpExchange exchange) throws IOException;
}
