package io.github.shimmypull.core.coordinator.internal;

/**
 * An operation holding the model directory (its in-process slot and the directory lock); closing it
 * frees both.
 */
public interface DirectoryOperation extends AutoCloseable {

  /** Frees the directory. */
  @Override
  void close();
}
