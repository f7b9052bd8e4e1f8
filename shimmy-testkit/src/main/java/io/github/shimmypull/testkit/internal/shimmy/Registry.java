package io.github.shimmypull.testkit.internal.shimmy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** The fake's model registry: manual entries (base GGUF, --model-path) and the scan result. */
public final class Registry {

  /** A model the fake can serve. */
  public record Entry(String id, Path path, long sizeBytes, boolean manual, @Nullable Path lora) {}

  private final Map<String, Entry> manual = new LinkedHashMap<>();
  private final Map<String, Entry> discovered = new LinkedHashMap<>();

  void addManual(String id, Path path) {
    manual.put(id, new Entry(id, path, -1, true, null));
  }

  void addDiscovered(Map<String, ModelScan.Found> byName) {
    for (ModelScan.Found f : byName.values()) {
      discovered.put(f.name(), new Entry(f.name(), f.path(), f.sizeBytes(), false, f.loraPath()));
    }
  }

  /** Looks an id up: manual entries first, then discovered ones. */
  public @Nullable Entry find(String id) {
    Entry e = manual.get(id);
    return e != null ? e : discovered.get(id);
  }

  /** The sorted (byte order), de-duplicated union of manual and discovered ids. */
  public List<String> allIds() {
    TreeSet<String> ids = new TreeSet<>(ModelScan::compareBytes);
    ids.addAll(manual.keySet());
    ids.addAll(discovered.keySet());
    return new ArrayList<>(ids);
  }

  public List<Entry> manualEntries() {
    return new ArrayList<>(manual.values());
  }

  public List<Entry> discoveredEntries() {
    return new ArrayList<>(discovered.values());
  }
}
