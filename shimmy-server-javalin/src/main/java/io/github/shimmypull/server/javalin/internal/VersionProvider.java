package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.server.javalin.ShimmyServer;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the server jar's version. */
public final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {"shimmy-server " + ShimmyServer.version()};
  }
}
