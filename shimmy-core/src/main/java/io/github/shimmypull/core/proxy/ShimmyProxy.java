package io.github.shimmypull.core.proxy;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.http.ErrorResponses;
import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.http.HttpHandler;
import io.github.shimmypull.core.internal.ContentLength;
import io.github.shimmypull.core.proxy.internal.ClientRequestBody;
import io.github.shimmypull.core.proxy.internal.HopByHopHeaders;
import io.github.shimmypull.core.proxy.internal.ModelCounters;
import io.github.shimmypull.core.proxy.internal.ProxyBuffers;
import io.github.shimmypull.core.proxy.internal.RoutedRequestBody;
import io.github.shimmypull.core.proxy.internal.StatusCounters;
import io.github.shimmypull.core.proxy.internal.StreamingRequestBody;
import io.github.shimmypull.core.proxy.internal.UnavailableReasons;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.routing.RoutingException;
import io.github.shimmypull.core.routing.internal.BodyScanner;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reverse proxy in front of the Shimmy instances, one per model, as an {@link HttpHandler} any
 * adapter can mount. A generation request ({@code POST /v1/chat/completions}, {@code
 * /v1/completions}, {@code /v1/messages}, {@code /api/generate}, {@code /v1/generate}) is routed by
 * the {@code model} of its JSON body, read from a bounded prefix by the {@link ModelRouter}: it
 * leases the instance of that model ({@link ShimmySupervisor#acquire(String, Duration)}, which
 * starts it on demand), and the rest of the body streams on unchanged; an unknown model is answered
 * 404 {@code model_not_found} and a missing one 400 {@code model_required} in OpenAI's error shape,
 * before anything is started. Other requests lease any ready instance. Each request is forwarded
 * with its method, path, query, end-to-end headers and body, and the response is streamed back
 * chunk by chunk (each read from Shimmy is written and flushed, so SSE tokens arrive as they are
 * produced). On {@code /v1/chat/completions}, {@code /v1/completions} and {@code /v1/generate}
 * (sent to Shimmy's {@code /api/generate}) a body without {@code stream} is sent with {@code
 * "stream":false}, OpenAI's default.
 *
 * <p>The lease is held until the response body is fully written (or the exchange fails), which is
 * what lets a blue-green switch drain requests in flight on the old instance; new requests go to
 * whichever instance is live when they start.
 *
 * <p>Other failures are answered in JSON {@code {"error": MESSAGE, "code": CODE}}: no instance
 * gives the status and code of {@link SupervisorException.Reason#httpStatus()} and {@link
 * SupervisorException.Reason#code()} (503 with {@code Retry-After}); an upstream that cannot be
 * reached gives 502 {@code upstream_error} (after one retry on a fresh lease when no request body
 * byte was read yet). A failure after the response started ends {@link #handle} with an {@link
 * IOException}: the adapter must then abort the connection instead of ending the response cleanly.
 * A client that goes away mid-stream is noticed on the next write and cancels the upstream call (a
 * silent upstream is bounded by the client's read timeout).
 *
 * <p>Build with {@link #builder()}; instances are thread-safe and meant to be shared.
 */
public final class ShimmyProxy implements HttpHandler {

  /** Default {@link Builder#acquireWait(Duration)}: 5 s. */
  public static final Duration DEFAULT_ACQUIRE_WAIT = Duration.ofSeconds(5);

  /** Name of the request counter registered with {@link Builder#meterRegistry(MeterRegistry)}. */
  public static final String REQUESTS_METER = "shimmy.proxy.requests";

  private static final Logger log = LoggerFactory.getLogger(ShimmyProxy.class);
  private static final RequestBody EMPTY_BODY = RequestBody.create(new byte[0], null);

  private final ShimmySupervisor supervisor;
  private final UnavailableReasons unavailableReasons = new UnavailableReasons();
  private final OkHttpClient client;
  private final Duration acquireWait;
  private final ModelRouter router;
  private final StatusCounters counters;
  private final ModelCounters modelCounters;
  private volatile @Nullable BaseUrl base;

  private ShimmyProxy(Builder builder) {
    this.supervisor = Objects.requireNonNull(builder.supervisor, "supervisor");
    OkHttpClient given = builder.client != null ? builder.client : defaultClient();
    // A proxy hands redirects to its client; derived clients share the given client's pool.
    this.client =
        given.followRedirects() || given.followSslRedirects()
            ? given.newBuilder().followRedirects(false).followSslRedirects(false).build()
            : given;
    this.acquireWait = builder.acquireWait;
    this.router = builder.router;
    this.counters = new StatusCounters(builder.meterRegistry, REQUESTS_METER);
    this.modelCounters = new ModelCounters(builder.meterRegistry);
  }

  /** A new builder; {@link Builder#supervisor(ShimmySupervisor)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The client used when none is given: HTTP/1.1 with a pool of up to 256 idle keep-alive
   * connections kept 60 s, connect timeout 5 s, read timeout 5 min (the longest silence between two
   * bytes of a response, e.g. while Shimmy processes a long prompt before the first token), write
   * timeout 60 s, no call timeout (streams may last as long as generation does), no redirects
   * followed. Synchronous calls never use its dispatcher's threads. Each call of this method builds
   * a new client with its own pool: share one through {@link Builder#client(OkHttpClient)} when the
   * application has one.
   */
  public static OkHttpClient defaultClient() {
    return new OkHttpClient.Builder()
        .connectionPool(new ConnectionPool(256, 60, TimeUnit.SECONDS))
        .protocols(List.of(Protocol.HTTP_1_1))
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofMinutes(5))
        .writeTimeout(Duration.ofSeconds(60))
        .callTimeout(Duration.ZERO)
        .followRedirects(false)
        .followSslRedirects(false)
        .retryOnConnectionFailure(true)
        .build();
  }

  /** The client this proxy forwards with (shares the pool of the one given to the builder). */
  public OkHttpClient client() {
    return client;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    int status = forward(exchange);
    counters.count(status);
  }

  private int forward(HttpExchange exchange) throws IOException {
    String method = exchange.method();
    String path = exchange.path();
    ClientRequestBody clientBody = null;
    RequestBody body = null;
    String model = null;
    long contentLength = contentLength(exchange);
    if (ModelRouter.routesByModel(method, path)) {
      try {
        Routed routed = route(exchange, path, contentLength);
        model = routed.model();
        clientBody = routed.body();
        body = clientBody;
      } catch (RoutingException e) {
        return routingError(exchange, e);
      }
    } else if (contentLength != 0 && permitsBody(method)) {
      clientBody = new StreamingRequestBody(exchange.requestBody(), contentLength);
      body = clientBody;
    } else if (requiresBody(method)) {
      body = EMPTY_BODY;
    }
    Headers headers = requestHeaders(exchange);
    String upstreamPath = ModelRouter.upstreamPath(path);

    Lease lease;
    try {
      lease = acquire(model);
    } catch (RuntimeException e) {
      return unavailable(exchange, model, e);
    }
    Call call;
    Response response;
    try {
      call = newCall(lease, exchange, upstreamPath, headers, body);
      response = call.execute();
    } catch (IllegalArgumentException e) {
      lease.close();
      return error(exchange, 400, "invalid_request", "cannot forward request: " + e.getMessage());
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    } catch (IOException first) {
      lease.close();
      IOException clientFailure = clientBody != null ? clientBody.clientFailure() : null;
      if (clientFailure != null) {
        throw clientFailure;
      }
      if (clientBody != null && clientBody.consumed()) {
        return upstreamFailed(exchange, lease, first);
      }
      log.info(
          "upstream {} failed before the request was sent ({}); retrying once on a fresh lease",
          lease.baseUrl(),
          first.toString());
      try {
        lease = acquire(model);
      } catch (RuntimeException e) {
        return unavailable(exchange, model, e);
      }
      try {
        call = newCall(lease, exchange, upstreamPath, headers, body);
        response = call.execute();
      } catch (RuntimeException e) {
        lease.close();
        throw e;
      } catch (IOException second) {
        lease.close();
        clientFailure = clientBody != null ? clientBody.clientFailure() : null;
        if (clientFailure != null) {
          throw clientFailure;
        }
        return upstreamFailed(exchange, lease, second);
      }
    }
    if (model != null) {
      modelCounters.count(model);
    }
    Lease held = lease;
    Response upstream = response;
    try (held;
        upstream) {
      relay(exchange, call, upstream);
      return upstream.code();
    }
  }

  /** The instance of {@code model}, or any instance for a request that names none. */
  private Lease acquire(@Nullable String model) {
    return model == null ? supervisor.acquire(acquireWait) : supervisor.acquire(model, acquireWait);
  }

  /**
   * Reads the prefix of a routed request's body (up to the router's limit), finds its model and
   * resolves it; the rest of the body streams on when the request is forwarded.
   *
   * @throws RoutingException when the request names an unknown model, none where one is needed, or
   *     names it past the prefix
   */
  private Routed route(HttpExchange exchange, String path, long contentLength) throws IOException {
    int limit = router.maxPrefixBytes();
    byte[] prefix =
        new byte
            [(int) (contentLength >= 0 ? Math.min(contentLength, limit) : Math.min(limit, 8192))];
    InputStream in = contentLength == 0 ? InputStream.nullInputStream() : exchange.requestBody();
    int filled = 0;
    boolean ended = false;
    while (true) {
      if (filled == prefix.length) {
        if (filled >= limit || (contentLength >= 0 && filled >= contentLength)) {
          ended = contentLength >= 0 && filled >= contentLength;
          break;
        }
        prefix = Arrays.copyOf(prefix, Math.min(limit, prefix.length * 2));
      }
      int read = in.read(prefix, filled, prefix.length - filled);
      if (read == -1) {
        ended = true;
        break;
      }
      filled += read;
    }
    BodyScanner scanner = new BodyScanner();
    scanner.feed(prefix, 0, filled);
    if (ended) {
      scanner.end();
    }
    String requested = scanner.requestedModel();
    String model = router.resolve(requested, modelIds());
    boolean insertStream = ModelRouter.defaultsToNonStreaming(path);
    byte[] head = scanner.forwarded(prefix, 0, filled, 0, model, insertStream);
    long length;
    if (ended) {
      length = head.length;
    } else if (contentLength >= 0 && !scanner.streamInsertionPending(insertStream)) {
      length = contentLength + (head.length - filled);
    } else {
      length = -1;
    }
    RoutedRequestBody body =
        new RoutedRequestBody(head, ended ? null : in, filled, scanner, insertStream, length);
    return new Routed(model, body);
  }

  private List<String> modelIds() {
    List<DiscoveredModel> models = supervisor.models();
    List<String> ids = new ArrayList<>(models.size());
    for (DiscoveredModel discovered : models) {
      ids.add(discovered.id());
    }
    return ids;
  }

  private static int routingError(HttpExchange exchange, RoutingException e) throws IOException {
    log.debug("not routing {} {}: {}", exchange.method(), exchange.path(), e.getMessage());
    return send(exchange, e.reason().httpStatus(), e.body());
  }

  /** A routed request: the model it goes to (null: any instance) and its body. */
  private record Routed(@Nullable String model, RoutedRequestBody body) {}

  private void relay(HttpExchange exchange, Call call, Response response) throws IOException {
    exchange.status(response.code());
    Headers headers = response.headers();
    Set<String> listed = connectionListed(headers.values("Connection"));
    boolean lengthKnown = false;
    for (int i = 0, size = headers.size(); i < size; i++) {
      String name = headers.name(i);
      if (!HopByHopHeaders.skip(name, listed)) {
        exchange.addResponseHeader(name, headers.value(i));
        lengthKnown |= name.equalsIgnoreCase("Content-Length");
      }
    }
    ResponseBody body = response.body();
    BufferedSource source = body.source();
    OutputStream out = exchange.responseBody();
    if (!lengthKnown && source.getBuffer().size() == 0) {
      // A stream (SSE, chunked): let the client see the head before the first chunk arrives.
      flushToClient(out, call);
    }
    // With a known length the front server ends the response by itself on the last byte.
    long expected = lengthKnown ? body.contentLength() : -1;
    long written = 0;
    byte[] buffer = ProxyBuffers.get();
    while (true) {
      int read;
      try {
        read = source.read(buffer, 0, buffer.length);
      } catch (IOException e) {
        log.warn(
            "upstream failed mid-response to {} {}; aborting the response: {}",
            response.request().method(),
            response.request().url(),
            e.toString());
        throw new IOException("upstream failed mid-response; response aborted", e);
      }
      if (read == -1) {
        break;
      }
      try {
        out.write(buffer, 0, read);
      } catch (IOException e) {
        call.cancel();
        throw e;
      }
      written += read;
      if (written != expected && source.getBuffer().size() == 0) {
        flushToClient(out, call);
      }
    }
    if (written != expected) {
      flushToClient(out, call);
    }
  }

  private static void flushToClient(OutputStream out, Call call) throws IOException {
    try {
      out.flush();
    } catch (IOException e) {
      call.cancel();
      throw e;
    }
  }

  private Call newCall(
      Lease lease,
      HttpExchange exchange,
      String path,
      Headers headers,
      @Nullable RequestBody body) {
    Request request =
        new Request.Builder()
            .url(url(lease.baseUrl(), path, exchange.rawQuery()))
            .headers(headers)
            .method(exchange.method(), body)
            .build();
    return client.newCall(request);
  }

  private HttpUrl url(URI baseUrl, String path, @Nullable String rawQuery) {
    BaseUrl cached = base;
    if (cached == null || (cached.uri != baseUrl && !cached.uri.equals(baseUrl))) {
      cached = new BaseUrl(baseUrl, HttpUrl.get(baseUrl.toString()));
      base = cached;
    }
    // Derived from the parsed base: the host is not canonicalized again for every request.
    return cached.url.newBuilder().encodedPath(path).encodedQuery(rawQuery).build();
  }

  private static Headers requestHeaders(HttpExchange exchange) {
    Set<String> listed = connectionListed(exchange.requestHeaders("Connection"));
    Headers.Builder headers = new Headers.Builder();
    boolean acceptEncoding = false;
    for (String name : exchange.requestHeaderNames()) {
      if (HopByHopHeaders.skip(name, listed)
          || name.equalsIgnoreCase("Host")
          || name.equalsIgnoreCase("Content-Length")) {
        continue;
      }
      acceptEncoding |= name.equalsIgnoreCase("Accept-Encoding");
      for (String value : exchange.requestHeaders(name)) {
        try {
          headers.addUnsafeNonAscii(name, value);
        } catch (IllegalArgumentException e) {
          log.debug("dropping request header {} that cannot be forwarded", name);
        }
      }
    }
    if (!acceptEncoding) {
      // Without this OkHttp would ask for gzip and decompress it, rewriting the body and headers.
      headers.add("Accept-Encoding", "identity");
    }
    String host = exchange.requestHeader("Host");
    if (host != null) {
      headers.set("X-Forwarded-Host", host);
    }
    String remote = exchange.remoteAddress();
    if (remote != null) {
      String previous = exchange.requestHeader("X-Forwarded-For");
      headers.set("X-Forwarded-For", previous == null ? remote : previous + ", " + remote);
    }
    headers.set("X-Forwarded-Proto", exchange.scheme());
    return headers.build();
  }

  private static @Nullable Set<String> connectionListed(List<String> connection) {
    return connection.isEmpty() ? null : HopByHopHeaders.listedInConnection(connection);
  }

  private static long contentLength(HttpExchange exchange) {
    if (exchange.requestHeader("Transfer-Encoding") != null) {
      return -1;
    }
    try {
      return Math.max(0, ContentLength.parse(exchange.requestHeader("Content-Length"), 0));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static boolean permitsBody(String method) {
    return !method.equals("GET") && !method.equals("HEAD");
  }

  private static boolean requiresBody(String method) {
    return method.equals("POST")
        || method.equals("PUT")
        || method.equals("PATCH")
        || method.equals("PROPPATCH")
        || method.equals("REPORT");
  }

  private int unavailable(HttpExchange exchange, @Nullable String model, RuntimeException e)
      throws IOException {
    if (e instanceof SupervisorException se
        && se.reason() == SupervisorException.Reason.MODEL_NOT_FOUND
        && model != null) {
      // Removed between the routing decision and the lease: the same answer as an unknown model.
      return routingError(exchange, RoutingException.notFound(model, modelIds()));
    }
    int status = e instanceof SupervisorException se ? se.reason().httpStatus() : 503;
    String code = e instanceof SupervisorException se ? se.reason().code() : "backend_unavailable";
    String message = unavailableReasons.message(e, supervisor.state());
    if (model != null) {
      message = "the instance of " + model + " is not ready: " + message;
    }
    log.debug("no Shimmy instance for {} {}: {}", exchange.method(), exchange.path(), message);
    if (status == 503) {
      exchange.addResponseHeader("Retry-After", ErrorResponses.RETRY_AFTER_SECONDS);
    }
    return error(exchange, status, code, message);
  }

  private static int upstreamFailed(HttpExchange exchange, Lease lease, IOException e)
      throws IOException {
    log.warn(
        "upstream {} failed for {} {}: {}",
        lease.baseUrl(),
        exchange.method(),
        exchange.path(),
        e.toString());
    return error(exchange, 502, "upstream_error", "Shimmy did not answer: " + e);
  }

  private static int error(HttpExchange exchange, int status, String code, String message)
      throws IOException {
    ErrorResponses.send(exchange, status, code, message);
    return status;
  }

  private static int send(HttpExchange exchange, int status, byte[] json) throws IOException {
    exchange.status(status);
    exchange.addResponseHeader("Content-Type", "application/json");
    exchange.addResponseHeader("Content-Length", Integer.toString(json.length));
    OutputStream out = exchange.responseBody();
    out.write(json);
    out.flush();
    return status;
  }

  private record BaseUrl(URI uri, HttpUrl url) {}

  /** Configures a {@link ShimmyProxy}. */
  public static final class Builder {

    private @Nullable ShimmySupervisor supervisor;
    private @Nullable OkHttpClient client;
    private Duration acquireWait = DEFAULT_ACQUIRE_WAIT;
    private ModelRouter router = ModelRouter.defaults();
    private @Nullable MeterRegistry meterRegistry;

    private Builder() {}

    /** The supervisor whose live instance requests go to. Required. */
    public Builder supervisor(ShimmySupervisor supervisor) {
      this.supervisor = Objects.requireNonNull(supervisor, "supervisor");
      return this;
    }

    /**
     * The shared client to forward with; default {@link ShimmyProxy#defaultClient()}. Redirect
     * following is turned off on a derived client (sharing this one's pool) if it is on.
     */
    public Builder client(OkHttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * How long a request waits for its instance: while it starts (on demand, for a routed request),
     * or in the supervisor's queue for room (passed to {@link ShimmySupervisor#acquire(String,
     * Duration)}, or {@link ShimmySupervisor#acquire(Duration)} for a request without model). Past
     * it the answer is 503 with {@code Retry-After}. Default 5 s ({@link #DEFAULT_ACQUIRE_WAIT});
     * zero means never wait.
     */
    public Builder acquireWait(Duration acquireWait) {
      Objects.requireNonNull(acquireWait, "acquireWait");
      if (acquireWait.isNegative()) {
        throw new IllegalArgumentException("acquireWait must not be negative: " + acquireWait);
      }
      this.acquireWait = acquireWait;
      return this;
    }

    /**
     * How requests are routed by their model (default model, aliases, prefix size); default {@link
     * ModelRouter#defaults()}. Share one with the {@link io.github.shimmypull.core.edge.ShimmyEdge}
     * in front, so both decide alike.
     */
    public Builder router(ModelRouter router) {
      this.router = Objects.requireNonNull(router, "router");
      return this;
    }

    /**
     * Where to count requests ({@value #REQUESTS_METER}, tagged {@code status}) and routed requests
     * by model ({@code shimmy.proxy.model.requests}, tagged {@code model}); default none.
     */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
      return this;
    }

    /** The proxy. */
    public ShimmyProxy build() {
      if (supervisor == null) {
        throw new IllegalStateException("ShimmyProxy needs a supervisor: call supervisor(...)");
      }
      return new ShimmyProxy(this);
    }
  }
}
