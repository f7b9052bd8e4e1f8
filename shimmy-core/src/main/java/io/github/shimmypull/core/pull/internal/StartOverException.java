package io.github.shimmypull.core.pull.internal;

/**
 * The bytes on disk cannot be continued: the server ignored {@code Range} (200 instead of 206) or
 * refused it (416). The file download starts again from byte 0 over one connection.
 */
public final class StartOverException extends RuntimeException {

  public StartOverException(String message) {
    super(message);
  }
}
