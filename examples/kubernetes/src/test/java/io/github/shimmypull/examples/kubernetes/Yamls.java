package io.github.shimmypull.examples.kubernetes;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Safe YAML loading and navigation over the plain maps and lists snakeyaml produces. */
final class Yamls {

  private Yamls() {}

  /** Every non-empty document of a YAML file, in order. */
  static List<Map<String, Object>> loadAll(Path file) throws IOException {
    List<Map<String, Object>> documents = new ArrayList<>();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (Object document : yaml().loadAll(reader)) {
        if (document != null) {
          documents.add(map(document, file.getFileName().toString()));
        }
      }
    }
    return documents;
  }

  /** Parses a JSON array of strings (the exec form of a Dockerfile instruction). */
  static List<String> stringList(String json) {
    Object parsed = yaml().load(json);
    if (!(parsed instanceof List<?> items)) {
      throw new IllegalArgumentException("not a JSON array: " + json);
    }
    List<String> strings = new ArrayList<>();
    for (Object item : items) {
      strings.add(String.valueOf(item));
    }
    return strings;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(@Nullable Object value, String what) {
    if (value instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    throw new IllegalArgumentException(what + " is not a mapping: " + value);
  }

  /** The mapping at a key path, or an empty map when a key is missing. */
  static Map<String, Object> mapAt(Map<String, Object> root, String... keys) {
    Object value = at(root, keys);
    return value == null ? Map.of() : map(value, String.join(".", keys));
  }

  /** The list of mappings at a key path, or an empty list when a key is missing. */
  static List<Map<String, Object>> mapsAt(Map<String, Object> root, String... keys) {
    Object value = at(root, keys);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> items)) {
      throw new IllegalArgumentException(String.join(".", keys) + " is not a list: " + value);
    }
    List<Map<String, Object>> maps = new ArrayList<>();
    for (Object item : items) {
      maps.add(map(item, String.join(".", keys) + "[]"));
    }
    return maps;
  }

  /** The scalars of the list at a key path as strings, or an empty list when a key is missing. */
  static List<String> stringsAt(Map<String, Object> root, String... keys) {
    Object value = at(root, keys);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> items)) {
      throw new IllegalArgumentException(String.join(".", keys) + " is not a list: " + value);
    }
    List<String> strings = new ArrayList<>();
    for (Object item : items) {
      strings.add(String.valueOf(item));
    }
    return strings;
  }

  /** The scalar at a key path as a string, or null when a key is missing. */
  static @Nullable String stringAt(Map<String, Object> root, String... keys) {
    Object value = at(root, keys);
    return value == null ? null : String.valueOf(value);
  }

  static @Nullable Object at(Map<String, Object> root, String... keys) {
    Object current = root;
    for (String key : keys) {
      if (!(current instanceof Map<?, ?> map)) {
        return null;
      }
      current = map.get(key);
    }
    return current;
  }

  private static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }
}
