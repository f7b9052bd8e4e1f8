package io.github.shimmypull.core.doubles;

import io.github.shimmypull.core.ShimmyModelIds;
import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.DiscoveryRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** Discovery by Shimmy's naming rule over the {@code .gguf} files directly in the directory. */
public final class DirectoryDiscovery implements DiscoveryRunner {

  private final AtomicInteger calls = new AtomicInteger();

  public int calls() {
    return calls.get();
  }

  @Override
  public List<DiscoveredModel> discover(Path modelDir) {
    calls.incrementAndGet();
    Map<String, List<Path>> byId = new TreeMap<>();
    try (Stream<Path> files = Files.list(modelDir)) {
      files
          .filter(Files::isRegularFile)
          .filter(p -> p.getFileName().toString().endsWith(".gguf"))
          .sorted()
          .forEach(
              p ->
                  byId.computeIfAbsent(
                          ShimmyModelIds.idForModelFile(p.getFileName().toString()),
                          k -> new ArrayList<>())
                      .add(p));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<DiscoveredModel> models = new ArrayList<>();
    byId.forEach((id, paths) -> models.add(new DiscoveredModel(id, paths, -1)));
    return models;
  }
}
