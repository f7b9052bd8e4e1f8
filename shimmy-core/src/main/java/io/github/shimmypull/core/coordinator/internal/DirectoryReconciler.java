package io.github.shimmypull.core.coordinator.internal;

import io.github.shimmypull.core.internal.ModelDirWatcher;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the supervisor in step with files that come, change or go by other means than a pull or a
 * delete: watches the model directory (with a periodic scan behind the watcher) and, once a change
 * is stable, has the supervisor refresh.
 */
public final class DirectoryReconciler implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DirectoryReconciler.class);

  private final Path modelDir;
  private final ShimmySupervisor supervisor;
  private final ModelServing serving;
  private final Supplier<@Nullable DirectoryOperation> admission;
  private final Duration debounce;
  private final Duration scanInterval;
  private @Nullable ModelDirWatcher watcher;
  private boolean closed;

  /**
   * @param admission takes the model directory for a reconcile, or answers null while the service
   *     stops or another operation (also of another process) holds it
   */
  public DirectoryReconciler(
      Path modelDir,
      ShimmySupervisor supervisor,
      ModelServing serving,
      Supplier<@Nullable DirectoryOperation> admission,
      Duration debounce,
      Duration scanInterval) {
    this.modelDir = modelDir;
    this.supervisor = supervisor;
    this.serving = serving;
    this.admission = admission;
    this.debounce = debounce;
    this.scanInterval = scanInterval;
  }

  /** Starts watching the directory; does nothing once closed or started. */
  public synchronized void startWatching() {
    if (closed || watcher != null) {
      return;
    }
    ModelDirWatcher w = new ModelDirWatcher(modelDir, debounce, scanInterval, this::reconcile);
    w.start();
    watcher = w;
  }

  /** Tells the watcher that the directory's current state is handled (after a pull or a delete). */
  public void markHandled() {
    ModelDirWatcher w;
    synchronized (this) {
      w = watcher;
    }
    if (w != null) {
      w.markHandled();
    }
  }

  /**
   * Has the supervisor refresh after files came, changed or went by other means (the watcher calls
   * this once a change is stable): a running instance whose files changed is replaced blue-green, a
   * running instance whose model is gone is drained and stopped, new models become servable on
   * demand; nothing is warmed and other instances are not touched. Skipped while a pull or another
   * operation runs (also in another process).
   *
   * @return whether the change is handled (false: try again later)
   */
  public boolean reconcile() {
    DirectoryOperation operation = admission.get();
    if (operation == null) {
      return false;
    }
    try {
      if (supervisor.state().status() == BackendStatus.STOPPED) {
        return true;
      }
      LOG.info("model directory {} changed: refreshing the Shimmy instances", modelDir);
      serving.refresh(Set.of(), "reconcile");
      LOG.info("model directory {} refreshed: servable {}", modelDir, serving.servableIds());
      return true;
    } catch (SupervisorException e) {
      LOG.warn(
          "refreshing after a change of {} failed: {}",
          modelDir,
          serving.backendFailure(e).getMessage());
      return true;
    } finally {
      operation.close();
    }
  }

  /** Stops the watcher; it does not start again. */
  @Override
  public void close() {
    ModelDirWatcher w;
    synchronized (this) {
      closed = true;
      w = watcher;
      watcher = null;
    }
    if (w != null) {
      w.close();
    }
  }
}
