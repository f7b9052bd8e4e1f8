package io.github.shimmypull.examples.kubernetes;

import java.util.List;

/**
 * What a pod spec relies on in the image built by examples/docker/Dockerfile.
 *
 * @param entrypoint the exec-form ENTRYPOINT (java -jar JAR)
 * @param defaultArgs the exec-form CMD
 * @param uid the numeric user the container runs as
 * @param modelVolume the declared model volume
 * @param shimmyBinary where Shimmy's executable is installed
 */
record Image(
    List<String> entrypoint,
    List<String> defaultArgs,
    long uid,
    String modelVolume,
    String shimmyBinary) {

  /**
   * Directories on the image's PATH (eclipse-temurin keeps the Debian/Ubuntu default plus the JDK).
   */
  static final List<String> PATH =
      List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

  Image {
    entrypoint = List.copyOf(entrypoint);
    defaultArgs = List.copyOf(defaultArgs);
  }

  /** Whether a {@code --shimmy-command} value starts an executable that exists in the image. */
  boolean runs(String shimmyCommand) {
    String executable = shimmyCommand.trim().split("\\s+")[0];
    if (executable.startsWith("/")) {
      return executable.equals(shimmyBinary);
    }
    int slash = shimmyBinary.lastIndexOf('/');
    return executable.equals(shimmyBinary.substring(slash + 1))
        && PATH.contains(shimmyBinary.substring(0, slash));
  }
}
