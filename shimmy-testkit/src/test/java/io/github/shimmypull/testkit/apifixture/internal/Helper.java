package io.github.shimmypull.testkit.apifixture.internal;

/** A fixture of {@code ApiListingTest}: public, but in an internal package. */
public final class Helper {

  public void help() {}
}
