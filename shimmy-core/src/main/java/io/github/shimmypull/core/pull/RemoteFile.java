package io.github.shimmypull.core.pull;

/**
 * One file of a resolved model at a pinned commit, with what the Hub says about it.
 *
 * @param path repo-relative path, e.g. {@code Q4_K_M/x-00001-of-00002.gguf}
 * @param size size in bytes ({@code X-Linked-Size} or the tree API's {@code lfs.size})
 * @param sha256 lower-case hex sha256 ({@code X-Linked-Etag} or {@code lfs.oid})
 */
public record RemoteFile(String path, long size, String sha256) {

  /** The name the file is published under in the model directory: the last path segment. */
  public String localName() {
    int slash = path.lastIndexOf('/');
    return slash >= 0 ? path.substring(slash + 1) : path;
  }
}
