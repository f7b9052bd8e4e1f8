package io.github.shimmypull.testkit.internal.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jspecify.annotations.NullMarked;

/**
 * Every package of a module is {@code @NullMarked}. NullAway (see the parent pom) checks only
 * {@code @NullMarked} code, so a new package without its {@code package-info.java} would silently
 * go unchecked; a module's {@code PublicApiTest} fails instead.
 */
public final class NullMarkedPackages {

  private NullMarkedPackages() {}

  /**
   * The packages with classes under {@code classesDir} that are not {@code @NullMarked}, sorted.
   */
  public static List<String> unmarked(Path classesDir) {
    TreeSet<String> packages = new TreeSet<>();
    try (Stream<Path> files = Files.walk(classesDir)) {
      files
          .map(file -> classesDir.relativize(file).toString().replace('\\', '/'))
          .filter(relative -> relative.endsWith(".class") && relative.contains("/"))
          .map(relative -> relative.substring(0, relative.lastIndexOf('/')).replace('/', '.'))
          .forEach(packages::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return packages.stream().filter(name -> !nullMarked(name, loader)).toList();
  }

  /**
   * Fails when a package with classes under {@code classesDir} is not {@code @NullMarked}.
   *
   * @throws AssertionError naming the packages that need a {@code package-info.java} with
   *     {@code @NullMarked}
   */
  public static void check(Path classesDir) {
    List<String> unmarked = unmarked(classesDir);
    if (!unmarked.isEmpty()) {
      throw new AssertionError(
          "these packages are not @NullMarked, so NullAway does not check them; give each a"
              + " package-info.java with @NullMarked:\n  "
              + String.join("\n  ", unmarked));
    }
  }

  private static boolean nullMarked(String packageName, ClassLoader loader) {
    try {
      Class<?> info = Class.forName(packageName + ".package-info", false, loader);
      return info.isAnnotationPresent(NullMarked.class);
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
