package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.pull.LocalModel;
import io.github.shimmypull.core.pull.ModelDirCheck;
import io.github.shimmypull.core.pull.ModelDirectory;
import io.github.shimmypull.supervisor.ShimmyOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code list}: the models in the model directory, one line each: id, file, size. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Lists the models in the model directory: id, file and size, tab-separated, one per line.")
public final class ListCommand implements Callable<Integer> {

  private final PrintStream out;

  @Option(
      names = "--model-dir",
      paramLabel = "DIR",
      description = "Model directory%n(env SHIMMY_PULL_MODEL_DIR, default ${DEFAULT-VALUE}).")
  Path modelDir = ShimmyOptions.DEFAULT_MODEL_DIR;

  @Option(names = "--verbose", description = "Log what happens on stderr.")
  boolean verbose;

  ListCommand(PrintStream out) {
    this.out = out;
  }

  @Override
  public Integer call() {
    if (Files.exists(modelDir) && !Files.isDirectory(modelDir)) {
      ModelDirCheck.require(modelDir, false); // says: not a directory (exit 1)
    }
    if (!Files.isDirectory(modelDir)) {
      return 0;
    }
    for (LocalModel model : new ModelDirectory(modelDir).list()) {
      out.println(
          model.id()
              + "\t"
              + String.join(",", model.files())
              + "\t"
              + ProgressPrinter.size(model.sizeBytes()));
    }
    out.flush();
    return 0;
  }
}
