package io.github.shimmypull.core.doubles;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.ShimmyModelIds;
import io.github.shimmypull.core.pull.ModelPuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PreparedPull;
import io.github.shimmypull.core.pull.PullCancellation;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullListener;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.pull.RemoteFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A puller that writes real files: half of the file into {@code .shimmy-pull/NAME.part}, a
 * downloading event, optionally a stop at a gate (until released or cancelled), then the rest, a
 * verifying event, the atomic move into the model directory and a published event. A repo maps to
 * {@code <repo name>-<TAG>.gguf} (tag default Q4_K_M), or to the explicit file's base name.
 */
public final class ScriptedPuller implements ModelPuller {

  public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
  public static final int FILE_SIZE = 4096;

  private final Path modelDir;
  private final AtomicInteger prepares = new AtomicInteger();
  private final AtomicInteger pulls = new AtomicInteger();
  private final Map<String, PullException> prepareFailures = new ConcurrentHashMap<>();
  private volatile @Nullable CountDownLatch gate;
  private volatile CountDownLatch blocked = new CountDownLatch(1);
  private volatile @Nullable CountDownLatch prepareGate;
  private final CountDownLatch prepareBlocked = new CountDownLatch(1);

  public ScriptedPuller(Path modelDir) {
    this.modelDir = modelDir;
  }

  /** Makes {@code prepare} of {@code repo} (in any letter case) fail with {@code failure}. */
  public ScriptedPuller failPrepare(String repo, PullException failure) {
    prepareFailures.put(repo.toLowerCase(Locale.ROOT), failure);
    return this;
  }

  /** Makes the next pulls stop after their first downloading event until {@link #release()}. */
  public ScriptedPuller holdDownloads() {
    gate = new CountDownLatch(1);
    blocked = new CountDownLatch(1);
    return this;
  }

  /** Makes the next resolutions ({@code prepare}) wait until {@link #releasePrepares()}. */
  public ScriptedPuller holdPrepares() {
    prepareGate = new CountDownLatch(1);
    return this;
  }

  /** Lets held resolutions go on. */
  public void releasePrepares() {
    CountDownLatch g = prepareGate;
    prepareGate = null;
    if (g != null) {
      g.countDown();
    }
  }

  /** Waits until a resolution is held at its gate. */
  public void awaitPrepareHeld() throws InterruptedException {
    if (!prepareBlocked.await(30, TimeUnit.SECONDS)) {
      throw new AssertionError("no resolution reached the gate");
    }
  }

  /** Lets held downloads go on. */
  public void release() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) {
      g.countDown();
    }
  }

  /** Waits until a download is held at the gate. */
  public void awaitHeld() throws InterruptedException {
    if (!blocked.await(30, TimeUnit.SECONDS)) {
      throw new AssertionError("no download reached the gate");
    }
  }

  public int prepareCalls() {
    return prepares.get();
  }

  public int pullCalls() {
    return pulls.get();
  }

  /**
   * The file name a reference is published under. Repo names are case-insensitive on the Hub, and
   * the files keep the repo's own spelling, so the name comes from the repo name in lower case.
   */
  public static String fileName(ModelRef ref) {
    if (ref.file() != null) {
      String file = ref.file();
      return file.substring(file.lastIndexOf('/') + 1);
    }
    String name = ref.repo().substring(ref.repo().indexOf('/') + 1).toLowerCase(Locale.ROOT);
    return name + "-" + (ref.tag() == null ? "Q4_K_M" : ref.tag()) + ".gguf";
  }

  /** The partial file of a reference. */
  public Path partial(ModelRef ref) {
    return modelDir.resolve(".shimmy-pull").resolve(fileName(ref) + ".part");
  }

  @Override
  public PreparedPull prepare(ModelRef ref, boolean force) {
    prepares.incrementAndGet();
    CountDownLatch g = prepareGate;
    if (g != null) {
      prepareBlocked.countDown();
      try {
        if (!g.await(30, TimeUnit.SECONDS)) {
          throw new PullException(PullException.Reason.UPSTREAM, "resolution held for too long");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PullException(PullException.Reason.CANCELLED, "interrupted");
      }
    }
    PullException failure = prepareFailures.get(ref.repo().toLowerCase(Locale.ROOT));
    if (failure != null) {
      throw failure;
    }
    String name = fileName(ref);
    String path = ref.file() != null ? ref.file() : name;
    boolean present = Files.exists(modelDir.resolve(name));
    return new PreparedPull(
        ref,
        COMMIT,
        List.of(new RemoteFile(path, FILE_SIZE, sha256Of(name))),
        ShimmyModelIds.idForModelFile(name),
        force,
        present && !force ? 0 : FILE_SIZE);
  }

  @Override
  public PullResult pull(PreparedPull pull, PullListener listener, PullCancellation cancellation) {
    pulls.incrementAndGet();
    RemoteFile file = pull.primaryFile();
    String name = file.localName();
    Path target = modelDir.resolve(name);
    if (pull.bytesToDownload() == 0) {
      listener.onEvent(new PullEvent.Published(name, false));
      return result(pull, name, false);
    }
    Path part = partial(pull.ref());
    try {
      Files.createDirectories(part.getParent());
      byte[] half = new byte[FILE_SIZE / 2];
      Files.write(part, half);
      listener.onEvent(
          new PullEvent.Downloading(name, FILE_SIZE, half.length, FILE_SIZE, half.length));
      CountDownLatch g = gate;
      if (g != null) {
        blocked.countDown();
        while (!g.await(10, TimeUnit.MILLISECONDS)) {
          if (cancellation.isCancelled()) {
            if (cancellation.discardPartial()) {
              Files.deleteIfExists(part);
            }
            throw new PullException(
                PullException.Reason.CANCELLED, "pull of " + name + " cancelled");
          }
        }
      }
      Files.write(part, half, StandardOpenOption.APPEND);
      listener.onEvent(new PullEvent.Downloading(name, FILE_SIZE, FILE_SIZE, FILE_SIZE, FILE_SIZE));
      listener.onEvent(new PullEvent.Verifying(name));
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      listener.onEvent(new PullEvent.Published(name, true));
      return result(pull, name, true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PullException(PullException.Reason.CANCELLED, "interrupted");
    }
  }

  private static PullResult result(PreparedPull pull, String name, boolean downloaded) {
    return new PullResult(
        pull.modelId(),
        pull.ref().repo(),
        pull.commit(),
        name,
        List.of(name),
        FILE_SIZE,
        pull.primaryFile().sha256(),
        downloaded);
  }

  private static String sha256Of(String name) {
    return String.format("%064x", Math.abs((long) name.hashCode()));
  }
}
