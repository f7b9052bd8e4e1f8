package io.github.shimmypull.testkit.internal.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The public API of a module as text: one line per public type (its kind, supertypes and type
 * parameters) and per public or protected member (generic signature), sorted, with every package
 * named {@code internal} left out. A module's {@code PublicApiTest} compares its compiled classes
 * to the listing checked in as {@code api/<module>.api}, so an accidental change to the public API
 * fails the build; a deliberate one is recorded by running the test with {@code
 * -Dshimmy.api.update=true} (all modules at once: {@code .ci/update-api}) and committing the new
 * listing.
 *
 * <p>Left out as implementation detail: packages named {@code internal}, package-private and
 * private members, and the {@code synchronized} modifier.
 */
public final class ApiListing {

  /** The system property that rewrites the checked-in listing instead of comparing with it. */
  public static final String UPDATE_PROPERTY = "shimmy.api.update";

  private ApiListing() {}

  /** The listing of the classes under {@code classesDir} (a module's {@code target/classes}). */
  public static List<String> of(Path classesDir) {
    TreeSet<String> lines = new TreeSet<>();
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    try (Stream<Path> files = Files.walk(classesDir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String relative = classesDir.relativize(file).toString().replace('\\', '/');
        if (!relative.endsWith(".class")
            || relative.endsWith("package-info.class")
            || relative.endsWith("module-info.class")
            || relative.contains("/internal/")) {
          continue;
        }
        String name =
            relative.substring(0, relative.length() - ".class".length()).replace('/', '.');
        Class<?> type;
        try {
          type = Class.forName(name, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
          throw new IllegalStateException("cannot load " + name + " from " + classesDir, e);
        }
        if (isVisible(type)) {
          describe(type, lines);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new ArrayList<>(lines);
  }

  /**
   * Compares the listing of {@code classesDir} with the file {@code listing}, or rewrites the file
   * when {@link #UPDATE_PROPERTY} is {@code true}.
   *
   * @throws AssertionError naming the added and removed lines when they differ
   */
  public static void check(Path classesDir, Path listing) {
    if (Boolean.getBoolean(UPDATE_PROPERTY)) {
      write(classesDir, listing);
    } else {
      compare(classesDir, listing);
    }
  }

  /**
   * Compares the listing of {@code classesDir} with the file {@code listing}.
   *
   * @throws AssertionError naming the added and removed lines when they differ, or when there is no
   *     listing yet
   */
  public static void compare(Path classesDir, Path listing) {
    List<String> actual = of(classesDir);
    List<String> expected;
    try {
      expected =
          Files.exists(listing) ? Files.readAllLines(listing, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Set<String> expectedLines = new HashSet<>(expected);
    Set<String> actualLines = new HashSet<>(actual);
    List<String> added = actual.stream().filter(line -> !expectedLines.contains(line)).toList();
    List<String> removed = expected.stream().filter(line -> !actualLines.contains(line)).toList();
    if (!added.isEmpty() || !removed.isEmpty()) {
      throw new AssertionError(
          "the public API differs from "
              + listing.toAbsolutePath()
              + (Files.exists(listing) ? "" : " (there is no listing yet)")
              + "\nIf the change is meant, run .ci/update-api (or this test with -D"
              + UPDATE_PROPERTY
              + "=true) and commit the listing."
              + block("added", added)
              + block("removed", removed));
    }
  }

  /** Writes the listing of {@code classesDir} to the file {@code listing}, replacing it. */
  public static void write(Path classesDir, Path listing) {
    List<String> actual = of(classesDir);
    try {
      Files.createDirectories(listing.toAbsolutePath().getParent());
      Files.write(listing, actual, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String block(String title, List<String> lines) {
    return lines.isEmpty() ? "" : "\n" + title + ":\n  " + String.join("\n  ", lines);
  }

  private static boolean isVisible(Class<?> type) {
    for (Class<?> c = type; c != null; c = c.getDeclaringClass()) {
      if (!Modifier.isPublic(c.getModifiers()) || c.isAnonymousClass() || c.isSynthetic()) {
        return false;
      }
    }
    return true;
  }

  private static void describe(Class<?> type, TreeSet<String> lines) {
    String name = type.getName();
    StringBuilder head = new StringBuilder(name).append(' ').append(kind(type));
    if (type.getTypeParameters().length > 0) {
      head.append(' ')
          .append(
              Arrays.stream(type.getTypeParameters())
                  .map(ApiListing::typeParameter)
                  .collect(Collectors.joining(",", "<", ">")));
    }
    Type superclass = type.getGenericSuperclass();
    if (superclass != null && superclass != Object.class && !type.isEnum() && !type.isRecord()) {
      head.append(" extends ").append(superclass.getTypeName());
    }
    Type[] interfaces = type.getGenericInterfaces();
    if (interfaces.length > 0) {
      head.append(" implements ")
          .append(
              Arrays.stream(interfaces).map(Type::getTypeName).collect(Collectors.joining(", ")));
    }
    lines.add(head.toString());
    for (Field field : type.getDeclaredFields()) {
      if (visible(field) && !field.isSynthetic()) {
        lines.add(name + " field " + field.toGenericString());
      }
    }
    for (Constructor<?> constructor : type.getDeclaredConstructors()) {
      if (visible(constructor) && !constructor.isSynthetic()) {
        lines.add(name + " constructor " + constructor.toGenericString());
      }
    }
    for (Method method : type.getDeclaredMethods()) {
      if (visible(method) && !method.isSynthetic() && !method.isBridge()) {
        lines.add(name + " method " + method.toGenericString().replace("synchronized ", ""));
      }
    }
  }

  /** {@code T} or {@code T extends A&B}: a bound is API too. */
  private static String typeParameter(TypeVariable<?> variable) {
    List<String> bounds =
        Arrays.stream(variable.getBounds())
            .filter(bound -> bound != Object.class)
            .map(Type::getTypeName)
            .toList();
    return bounds.isEmpty()
        ? variable.getName()
        : variable.getName() + " extends " + String.join("&", bounds);
  }

  private static boolean visible(Member member) {
    int modifiers = member.getModifiers();
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  private static String kind(Class<?> type) {
    if (type.isAnnotation()) {
      return "@interface";
    }
    if (type.isInterface()) {
      return (type.isSealed() ? "sealed " : "") + "interface";
    }
    if (type.isEnum()) {
      return "enum";
    }
    if (type.isRecord()) {
      return "record";
    }
    String modifiers =
        Modifier.isAbstract(type.getModifiers())
            ? "abstract "
            : Modifier.isFinal(type.getModifiers()) ? "final " : "";
    return modifiers + (type.isSealed() ? "sealed " : "") + "class";
  }
}
