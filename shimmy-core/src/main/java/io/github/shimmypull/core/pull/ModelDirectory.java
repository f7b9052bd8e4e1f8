package io.github.shimmypull.core.pull;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.ShimmyModelIds;
import io.github.shimmypull.core.pull.internal.PullStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The models published in one model directory, as Shimmy sees them: every {@code *.gguf} file
 * directly in the directory, with split shards ({@code base-00001-of-00003.gguf}) grouped under one
 * id when two or more are present (a lone shard is not served, so not listed), plus the provenance
 * (repo, commit, sha256) the puller recorded under {@code .shimmy-pull/}.
 */
public final class ModelDirectory implements LocalModels {

  private final PullStore store;

  public ModelDirectory(Path modelDir) {
    this.store = new PullStore(modelDir);
  }

  public Path path() {
    return store.modelDir();
  }

  @Override
  public List<LocalModel> list() {
    List<String> names = new ArrayList<>();
    Path dir = store.modelDir();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path p : stream) {
        String name = p.getFileName().toString();
        if (name.toLowerCase(Locale.ROOT).endsWith(".gguf") && Files.isRegularFile(p)) {
          names.add(name);
        }
      }
    } catch (IOException e) {
      throw PullStore.local("cannot list " + dir, e);
    }
    names.sort(Comparator.naturalOrder());
    Map<String, List<String>> groups = new TreeMap<>();
    Map<String, LocalModel> byId = new TreeMap<>();
    for (String name : names) {
      var shard = ShimmyModelIds.shard(name);
      if (shard.isPresent()) {
        groups
            .computeIfAbsent(
                shard.get().base() + "\u0000" + shard.get().count(), k -> new ArrayList<>())
            .add(name);
      } else {
        byId.put(
            ShimmyModelIds.idForFile(name), model(ShimmyModelIds.idForFile(name), List.of(name)));
      }
    }
    for (List<String> shards : groups.values()) {
      if (shards.size() >= 2) {
        String id = ShimmyModelIds.idForModelFile(shards.get(0));
        byId.put(id, model(id, shards));
      }
    }
    return List.copyOf(byId.values());
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
                        Reason.NOT_FOUND, "no model '" + id + "' in " + store.modelDir()));
    for (String file : model.files()) {
      store.deleteQuietly(store.published(file));
      store.deleteQuietly(store.recordPath(file));
    }
    PullStore.syncDir(store.modelDir());
    return model;
  }

  /** Deletes the partial downloads (and sidecars) of {@code pull}'s files; published files stay. */
  public void discardPartials(PreparedPull pull) {
    for (RemoteFile f : pull.files()) {
      store.discardPartial(f.localName());
    }
  }

  private LocalModel model(String id, List<String> files) {
    long total = 0;
    long firstSize = -1;
    for (String f : files) {
      try {
        long size = Files.size(store.published(f));
        total += size;
        if (firstSize < 0) {
          firstSize = size;
        }
      } catch (IOException e) {
        throw PullStore.local("cannot read size of " + f, e);
      }
    }
    long expectedFirst = firstSize;
    var record = store.readRecord(files.get(0)).filter(r -> r.size() == expectedFirst);
    return new LocalModel(
        id,
        files,
        total,
        record.map(PullStore.FileRecord::sha256).orElse(null),
        record.map(PullStore.FileRecord::repo).orElse(null),
        record.map(PullStore.FileRecord::commit).orElse(null));
  }
}
