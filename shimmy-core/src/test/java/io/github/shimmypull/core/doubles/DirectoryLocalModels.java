package io.github.shimmypull.core.doubles;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.pull.LocalModel;
import io.github.shimmypull.core.pull.LocalModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Local models straight from the directory's {@code .gguf} files (no provenance). */
public final class DirectoryLocalModels implements LocalModels {

  private final Path modelDir;
  private final DirectoryDiscovery discovery = new DirectoryDiscovery();

  public DirectoryLocalModels(Path modelDir) {
    this.modelDir = modelDir;
  }

  @Override
  public List<LocalModel> list() {
    List<LocalModel> models = new ArrayList<>();
    for (DiscoveredModel m : discovery.discover(modelDir)) {
      long size = 0;
      List<String> names = new ArrayList<>();
      for (Path p : m.files()) {
        names.add(p.getFileName().toString());
        try {
          size += Files.size(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      models.add(new LocalModel(m.id(), names, size, null, null, null));
    }
    return models;
  }

  @Override
  public LocalModel delete(String id) {
    LocalModel model =
        list().stream()
            .filter(m -> m.id().equals(id))
            .findFirst()
            .orElseThrow(
                () ->
                    new PullException(
                        PullException.Reason.NOT_FOUND, "no model '" + id + "' in " + modelDir));
    for (String file : model.files()) {
      try {
        Files.delete(modelDir.resolve(file));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return model;
  }
}
