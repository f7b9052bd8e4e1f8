package io.github.shimmypull.core.pull;

import io.github.shimmypull.core.PullException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A tiny command line around {@link HuggingFacePuller}, until the server jar's {@code pull} command
 * exists: {@code PullMain REF [--file NAME] [--revision REV] [--model-dir DIR] [--force]}. Reads
 * {@code HF_TOKEN} and {@code HF_ENDPOINT}; prints progress lines; exits 0 on success, 1 on failure
 * (one {@code error:} line on stderr), 2 on a usage error.
 */
public final class PullMain {

  private PullMain() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    String ref = null;
    String file = null;
    String revision = null;
    Path modelDir = Path.of("models");
    boolean force = false;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--file" -> file = args[++i];
          case "--revision" -> revision = args[++i];
          case "--model-dir" -> modelDir = Path.of(args[++i]);
          case "--force" -> force = true;
          default -> {
            if (args[i].startsWith("-") || ref != null) {
              return usage("unexpected argument " + args[i]);
            }
            ref = args[i];
          }
        }
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      return usage("missing value after " + args[args.length - 1]);
    }
    if (ref == null) {
      return usage("missing model reference");
    }
    try {
      ModelRef parsed = ModelRef.parse(ref, file, revision);
      HuggingFacePuller puller =
          HuggingFacePuller.Builder.fromEnvironment().modelDir(modelDir).build();
      PreparedPull prepared = puller.prepare(parsed, force, PullMain::print);
      PullResult result = puller.pull(prepared, PullMain::print, new PullCancellation());
      System.out.printf(
          Locale.ROOT,
          "complete %s %s %.1f MiB sha256 %s commit %s%s%n",
          result.modelId(),
          String.join(",", result.files()),
          result.sizeMb(),
          result.sha256(),
          result.revision(),
          result.downloaded() ? "" : " (already present)");
      return 0;
    } catch (PullException e) {
      System.err.println("error: " + e.getMessage());
      return e.reason() == PullException.Reason.INVALID_REQUEST ? 2 : 1;
    }
  }

  private static void print(PullEvent event) {
    if (event instanceof PullEvent.Downloading d) {
      System.out.printf(
          Locale.ROOT,
          "downloading %s %d/%d (%.0f%%)%n",
          d.file(),
          d.completed(),
          d.total(),
          d.total() == 0 ? 100.0 : 100.0 * d.completed() / d.total());
    } else if (event instanceof PullEvent.Resolving r) {
      System.out.println("resolving " + r.repo() + "@" + r.revision());
    } else if (event instanceof PullEvent.Verifying v) {
      System.out.println("verifying " + v.file());
    } else if (event instanceof PullEvent.Published p) {
      System.out.println((p.downloaded() ? "published " : "present ") + p.file());
    }
  }

  private static int usage(String problem) {
    System.err.println("error: " + problem);
    System.err.println(
        "usage: PullMain REF [--file NAME] [--revision REV] [--model-dir DIR] [--force]");
    return 2;
  }
}
