package io.github.shimmypull.core.http.internal;

import static io.github.shimmypull.core.http.internal.JsonAnswers.sendJson;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.coordinator.PullJob;
import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.internal.WireFormat;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullResult;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/api/pull}: starts a pull (streaming its events as NDJSON, or answering once it ends),
 * reports the running and recent jobs, and cancels the running pull.
 */
public final class PullEndpoint {

  private static final Logger LOG = LoggerFactory.getLogger(PullEndpoint.class);
  private static final String NDJSON = "application/x-ndjson";

  private final PullCoordinator coordinator;
  private final AdminAuth auth;
  private final long maxRequestBytes;
  private final Duration cancelWait;

  public PullEndpoint(
      PullCoordinator coordinator, AdminAuth auth, long maxRequestBytes, Duration cancelWait) {
    this.coordinator = coordinator;
    this.auth = auth;
    this.maxRequestBytes = maxRequestBytes;
    this.cancelWait = cancelWait;
  }

  /** {@code POST /v1/api/pull}. */
  public void pull(HttpExchange ex) throws IOException {
    auth.require(ex);
    RequestBodies.requireJsonContentType(ex);
    byte[] body = RequestBodies.readBody(ex, maxRequestBytes);
    PullBody request = PullBody.parse(body);
    ModelRef ref = ModelRef.parse(request.model(), request.filename(), request.revision());
    PullJob job = coordinator.submit(ref, request.force());
    if (request.stream()) {
      stream(ex, job);
    } else {
      awaitAndAnswer(ex, job);
    }
  }

  /** {@code GET /v1/api/pull}: the running job and the recent ones. */
  public void status(HttpExchange ex) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("current", coordinator.current().map(WireFormat::job).orElse(null));
    body.put("recent", coordinator.recent().stream().map(WireFormat::job).toList());
    sendJson(ex, 200, body);
  }

  /** {@code DELETE /v1/api/pull[?discard=true]}: cancels and waits a while for the job's end. */
  public void cancel(HttpExchange ex) throws IOException {
    auth.require(ex);
    boolean discard = RequestBodies.discardParameter(ex.rawQuery());
    PullJob job = coordinator.cancel(discard);
    try {
      job.await(cancelWait);
    } catch (PullException ended) {
      LOG.debug("{} ended: {}", job, ended.getMessage());
    } catch (TimeoutException stillRunning) {
      LOG.warn("{} did not end within {} of the cancel", job, cancelWait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("cancelled", job.state() == PullJob.State.CANCELLED);
    body.put("discard", discard);
    body.put("job", WireFormat.job(job));
    sendJson(ex, 200, body);
  }

  private void stream(HttpExchange ex, PullJob job) throws IOException {
    BlockingQueue<PullEvent> queue = new LinkedBlockingQueue<>();
    try (PullJob.Subscription subscription = job.subscribe(queue::add)) {
      ex.status(200);
      ex.addResponseHeader("Content-Type", NDJSON);
      ex.addResponseHeader("Cache-Control", "no-cache");
      ex.addResponseHeader("X-Accel-Buffering", "no");
      OutputStream out = ex.responseBody();
      while (true) {
        PullEvent event = queue.take();
        Map<String, Object> line = WireFormat.event(event);
        if (line != null) {
          out.write(Json.writeBytes(line));
          out.write('\n');
          out.flush();
        }
        if (event instanceof PullEvent.Complete || event instanceof PullEvent.Failed) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while streaming " + job, e);
    } catch (IOException e) {
      LOG.info("client of {} went away ({}); the pull goes on", job, e.toString());
      throw e;
    }
  }

  private void awaitAndAnswer(HttpExchange ex, PullJob job) throws IOException {
    PullResult result;
    try {
      result = job.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + job, e);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", "complete");
    body.putAll(WireFormat.result(result));
    sendJson(ex, 200, body);
  }
}
