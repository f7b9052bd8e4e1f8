package io.github.shimmypull.testkit.apifixture;

/** A fixture of {@code ApiListingTest}: a public type with members of every visibility. */
public final class Widget<T extends CharSequence> {

  public static final int LIMIT = 3;

  int packageField;

  public Widget() {}

  public synchronized String name(T value) {
    return value.toString();
  }

  String hidden() {
    return "hidden";
  }

  /** A nested public type is listed on its own lines. */
  public enum Size {
    SMALL,
    LARGE
  }
}
