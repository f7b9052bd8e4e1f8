package io.github.shimmypull.core.coordinator;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PreparedPull;
import io.github.shimmypull.core.pull.PullCancellation;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullListener;
import io.github.shimmypull.core.pull.PullResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pull on the model directory, from the request to the live Shimmy serving the model. Every
 * caller asking for the same model while it runs gets this same handle: {@link #subscribe} replays
 * the events so far and then streams the live ones, so attached clients see the whole pull.
 *
 * <p>Consecutive {@code downloading} events are kept as the latest one only, so a replay stays
 * short however long the download is.
 */
public final class PullJob {

  private static final Logger LOG = LoggerFactory.getLogger(PullJob.class);

  /** Where a job is in its life. */
  public enum State {
    /** Resolving, downloading, verifying, discovering or making the model servable. */
    RUNNING,
    /** A request naming the model is answered by it. */
    COMPLETE,
    /** The job ended with an error. */
    FAILED,
    /** The job was cancelled. */
    CANCELLED;

    /** The wire name, lower case. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A live subscription to a job's events; closing it stops the stream (the job continues). */
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  private final String id;
  private final ModelRef ref;
  private final boolean force;
  private final Instant startedAt;
  private final PullCancellation cancellation = new PullCancellation();
  private final CompletableFuture<PreparedPull> prepared = new CompletableFuture<>();
  private final CompletableFuture<PullResult> outcome = new CompletableFuture<>();
  private final List<PullEvent> history = new ArrayList<>();
  private final List<PullListener> listeners = new CopyOnWriteArrayList<>();

  private volatile State state = State.RUNNING;
  private volatile String phase = "starting";
  private volatile PullProgress progress = PullProgress.NONE;
  private volatile @Nullable Instant endedAt;
  private volatile @Nullable PullResult result;
  private volatile @Nullable PullException error;

  PullJob(String id, ModelRef ref, boolean force, Instant startedAt) {
    this.id = id;
    this.ref = ref;
    this.force = force;
    this.startedAt = startedAt;
  }

  /** A short unique id of this job. */
  public String id() {
    return id;
  }

  /** The reference as it was asked for. */
  public ModelRef ref() {
    return ref;
  }

  /** The reference in its canonical text form. */
  public String model() {
    return ref.toString();
  }

  /** Whether files already present were to be downloaded again. */
  public boolean force() {
    return force;
  }

  /**
   * The id Shimmy will serve the model under, once resolved; null before or after a failed
   * resolution.
   */
  public @Nullable String modelId() {
    PreparedPull p = preparedPull();
    return p == null ? null : p.modelId();
  }

  /** The resolved pull, once resolution succeeded; null before or after a failed resolution. */
  public @Nullable PreparedPull preparedPull() {
    return prepared.isCompletedExceptionally() ? null : prepared.getNow(null);
  }

  public State state() {
    return state;
  }

  /** The {@code status} of the latest event, e.g. {@code downloading}. */
  public String phase() {
    return phase;
  }

  public PullProgress progress() {
    return progress;
  }

  public Instant startedAt() {
    return startedAt;
  }

  /** When the job ended, or null while it runs. */
  public @Nullable Instant endedAt() {
    return endedAt;
  }

  /** What the pull published, once complete. */
  public @Nullable PullResult result() {
    return result;
  }

  /** Why the job failed or was cancelled, or null. */
  public @Nullable PullException error() {
    return error;
  }

  public boolean isDone() {
    return state != State.RUNNING;
  }

  /** The events so far (downloading progress collapsed to the latest of each run). */
  public synchronized List<PullEvent> events() {
    return List.copyOf(history);
  }

  /**
   * Replays the events so far to {@code listener} and then sends it every new one, in order, until
   * the terminal {@code complete} or {@code error} event (or until the subscription is closed).
   * Listeners run on the job's thread and must be quick (hand the event to a queue).
   */
  public synchronized Subscription subscribe(PullListener listener) {
    for (PullEvent event : history) {
      listener.onEvent(event);
    }
    if (!isDone()) {
      listeners.add(listener);
    }
    return () -> listeners.remove(listener);
  }

  /**
   * Waits for the end of the job.
   *
   * @return what the pull published
   * @throws PullException why the job failed or was cancelled
   */
  public PullResult await() throws InterruptedException {
    try {
      return outcome.get();
    } catch (ExecutionException e) {
      throw rethrow(e);
    }
  }

  /**
   * Waits at most {@code timeout} for the end of the job.
   *
   * @throws TimeoutException when the job is still running after {@code timeout}
   */
  public PullResult await(Duration timeout) throws InterruptedException, TimeoutException {
    try {
      return outcome.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw rethrow(e);
    }
  }

  private static RuntimeException rethrow(ExecutionException e) {
    Throwable cause = e.getCause();
    if (cause instanceof PullException pe) {
      return pe;
    }
    return new PullException(PullException.Reason.IO, String.valueOf(cause), cause);
  }

  @Override
  public String toString() {
    return "pull " + id + " of " + ref + " (" + state.wireName() + ", " + phase + ")";
  }

  PullCancellation cancellation() {
    return cancellation;
  }

  /** Waits until resolution ended; rethrows its failure. */
  PreparedPull awaitPrepared() throws InterruptedException {
    try {
      return prepared.get();
    } catch (ExecutionException e) {
      throw rethrow(e);
    }
  }

  void prepared(PreparedPull pull) {
    prepared.complete(pull);
  }

  void prepareFailed(PullException e) {
    prepared.completeExceptionally(e);
  }

  synchronized void emit(PullEvent event) {
    if (isDone()) {
      return;
    }
    if (event instanceof PullEvent.Downloading d) {
      progress =
          new PullProgress(
              d.file(), d.total(), d.completed(), d.overallTotal(), d.overallCompleted());
      if (!history.isEmpty() && history.get(history.size() - 1) instanceof PullEvent.Downloading) {
        history.set(history.size() - 1, event);
      } else {
        history.add(event);
      }
    } else {
      history.add(event);
    }
    phase = event.status();
    deliver(event);
  }

  synchronized void complete(PullResult pullResult, Instant now) {
    if (isDone()) {
      return;
    }
    PullEvent event = new PullEvent.Complete(pullResult);
    history.add(event);
    result = pullResult;
    endedAt = now;
    phase = event.status();
    state = State.COMPLETE;
    deliver(event);
    listeners.clear();
    outcome.complete(pullResult);
  }

  synchronized void fail(PullException failure, Instant now) {
    if (isDone()) {
      return;
    }
    PullEvent event = new PullEvent.Failed(failure.reason(), failure.getMessage());
    history.add(event);
    error = failure;
    endedAt = now;
    phase = event.status();
    state = failure.reason() == PullException.Reason.CANCELLED ? State.CANCELLED : State.FAILED;
    deliver(event);
    listeners.clear();
    outcome.completeExceptionally(failure);
  }

  private void deliver(PullEvent event) {
    for (PullListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException e) {
        LOG.warn(
            "dropping a listener of pull {} that failed on a {} event: {}",
            id,
            event.status(),
            e.toString());
        listeners.remove(listener);
      }
    }
  }
}
