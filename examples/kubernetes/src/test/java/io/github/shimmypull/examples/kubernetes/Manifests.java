package io.github.shimmypull.examples.kubernetes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The YAML files of one deployment variant (one directory), parsed into mutable documents so a test
 * can break one in memory and see the rules catch it.
 *
 * @param files file name to its documents, in file order
 */
record Manifests(Map<String, List<Map<String, Object>>> files) {

  static final String KUSTOMIZATION = "kustomization.yaml";

  static Manifests load(Path directory) throws IOException {
    Map<String, List<Map<String, Object>>> files = new TreeMap<>();
    try (Stream<Path> entries = Files.list(directory)) {
      for (Path file : entries.filter(Files::isRegularFile).toList()) {
        String name = file.getFileName().toString();
        if (name.endsWith(".yaml") || name.endsWith(".yml")) {
          files.put(name, Yamls.loadAll(file));
        }
      }
    }
    return new Manifests(files);
  }

  /** Every Kubernetes object (documents with a kind, the kustomization excluded). */
  List<Map<String, Object>> objects() {
    List<Map<String, Object>> objects = new ArrayList<>();
    files.forEach(
        (name, documents) -> {
          if (!name.equals(KUSTOMIZATION)) {
            objects.addAll(documents);
          }
        });
    return objects;
  }

  List<Map<String, Object>> ofKind(String kind) {
    return objects().stream().filter(o -> kind.equals(o.get("kind"))).toList();
  }

  /** The one object of a kind (the first, for tests that mutate it). */
  Map<String, Object> the(String kind) {
    return ofKind(kind).stream()
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no " + kind + " in " + files.keySet()));
  }

  Optional<Map<String, Object>> kustomization() {
    List<Map<String, Object>> documents = files.get(KUSTOMIZATION);
    return documents == null || documents.isEmpty()
        ? Optional.empty()
        : Optional.of(documents.get(0));
  }
}
