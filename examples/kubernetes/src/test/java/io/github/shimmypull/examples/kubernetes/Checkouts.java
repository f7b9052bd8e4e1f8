package io.github.shimmypull.examples.kubernetes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locations of the checked files, relative to this module (examples/kubernetes). */
final class Checkouts {

  private Checkouts() {}

  /** This module's directory: surefire's basedir, else the working directory. */
  static Path module() {
    return Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
  }

  static Path repositoryRoot() {
    return module().resolve("../..").normalize();
  }

  static Path dockerfile() {
    return repositoryRoot().resolve("examples/docker/Dockerfile");
  }

  static String dockerfileText() throws IOException {
    return Files.readString(dockerfile(), StandardCharsets.UTF_8);
  }

  static Image image() throws IOException {
    return DockerfileRules.image(Dockerfile.parse(dockerfileText()));
  }
}
