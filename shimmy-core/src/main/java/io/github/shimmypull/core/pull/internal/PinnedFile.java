package io.github.shimmypull.core.pull.internal;

import io.github.shimmypull.core.pull.RemoteFile;

/** One file of a repository at a resolved commit: what a download fetches and checks against. */
public record PinnedFile(String repo, String commit, RemoteFile file) {

  /** The name of the file in the model directory and under {@link PullStore#DIR}. */
  public String name() {
    return file.localName();
  }

  public long size() {
    return file.size();
  }
}
