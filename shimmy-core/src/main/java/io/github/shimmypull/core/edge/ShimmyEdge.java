package io.github.shimmypull.core.edge;

import io.github.shimmypull.core.edge.internal.EdgeSettings;
import io.github.shimmypull.core.edge.internal.FrontHandler;
import io.github.shimmypull.core.edge.internal.Transport;
import io.github.shimmypull.core.edge.internal.UpstreamPool;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.core.proxy.ShimmyProxy;
import io.github.shimmypull.core.proxy.internal.ModelCounters;
import io.github.shimmypull.core.proxy.internal.StatusCounters;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A non-blocking HTTP/1.1 front (Netty event loops) that sits on the public port before an
 * application serving {@link ShimmyHttpApi} and {@link ShimmyProxy} on a loopback port. It forwards
 * the hot path straight to Shimmy without a thread per request: a generation POST (see {@link
 * ModelRouter}) whose body fits the routing prefix is held until complete, its {@code model} is
 * read and resolved with the same {@link ModelRouter} as the proxy's, and when the instance of that
 * model is ready ({@link ShimmySupervisor#tryAcquire(String)}) the request goes to it, its body
 * rewritten as the proxy would ({@code "stream":false}, the resolved id); other proxied requests go
 * to any ready instance. Every other request goes unchanged to the application, which keeps all the
 * behaviour: the pull API, starting an instance on demand and waiting for it (a cold start, the
 * queue), unknown and missing models, 503 without an instance, 413 and chunked bodies, {@code
 * Expect}. A WebSocket upgrade (Shimmy's {@code /ws/generate}) is tunnelled to the instance of the
 * model its first frame names: with one model the upgrade goes straight to it; with several the
 * edge accepts the upgrade itself, reads the first frame (within the routing prefix), leases the
 * instance of its model (starting it off the event loops when needed), sends the upgrade and that
 * frame to it, and after its 101 relays bytes both ways.
 *
 * <p>Like {@link ShimmyProxy} it streams both ways (a flush per read, so server-sent events arrive
 * as Shimmy produces them), strips hop-by-hop headers, adds {@code X-Forwarded-*}, holds the {@link
 * io.github.shimmypull.core.supervisor.Lease} until the last byte is written, and counts direct
 * requests into {@link ShimmyProxy#REQUESTS_METER}. Unlike it, a request that needs a live instance
 * never waits here: without one it goes to the application, which waits or answers.
 *
 * <p>Needs {@code io.netty:netty-codec-http} on the class path (an optional dependency of
 * shimmy-core). Build with {@link #builder()}, then {@link #start()}; {@link #close()} stops it.
 */
public final class ShimmyEdge implements AutoCloseable {

  /** Default {@link Builder#connectTimeout(Duration)}: 5 s. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Default {@link Builder#readTimeout(Duration)}: 5 min, the longest silence of an upstream during
   * a response (like {@link ShimmyProxy#defaultClient()}); also how long an idle pooled upstream
   * connection is kept.
   */
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofMinutes(5);

  /** Default {@link Builder#idleTimeout(Duration)}: 30 s (Jetty's default idle timeout). */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Default {@link Builder#bodyReadTimeout(Duration)}: 30 s, the longest a client may stay silent
   * while its request body is incomplete (a body shorter than its {@code Content-Length}).
   */
  public static final Duration DEFAULT_BODY_READ_TIMEOUT = Duration.ofSeconds(30);

  /** Default {@link Builder#maxHeaderBytes(int)}: 8 KiB (Jetty's default request header size). */
  public static final int DEFAULT_MAX_HEADER_BYTES = 8 * 1024;

  private static final Logger log = LoggerFactory.getLogger(ShimmyEdge.class);

  private final EdgeSettings settings;
  private final String host;
  private final int port;
  private final int eventLoops;
  private final int maxHeaderBytes;
  private @Nullable MultiThreadIoEventLoopGroup loops;
  private @Nullable Channel server;

  private ShimmyEdge(Builder builder) {
    ShimmySupervisor supervisor = Objects.requireNonNull(builder.supervisor, "supervisor");
    URI appUrl = Objects.requireNonNull(builder.app, "app");
    if (!"http".equals(appUrl.getScheme()) || appUrl.getHost() == null) {
      throw new IllegalArgumentException("app must be an http://HOST:PORT URL: " + appUrl);
    }
    URI app =
        URI.create("http://" + appUrl.getRawAuthority() + (appUrl.getPort() < 0 ? ":80" : ""));
    StatusCounters counters = new StatusCounters(builder.meterRegistry, ShimmyProxy.REQUESTS_METER);
    this.settings =
        new EdgeSettings(
            supervisor,
            builder.router,
            app,
            builder.answeredByApp,
            builder.maxDirectBodyBytes,
            builder.connectTimeout,
            builder.readTimeout,
            builder.idleTimeout,
            counters::count,
            builder.acquireWait,
            Executors.newCachedThreadPool(new DefaultThreadFactory("shimmy-edge-acquire", true)),
            new ModelCounters(builder.meterRegistry)::count,
            builder.bodyReadTimeout,
            builder.maxRequestBytes);
    this.host = builder.host;
    this.port = builder.port;
    this.eventLoops = builder.eventLoops;
    this.maxHeaderBytes = builder.maxHeaderBytes;
  }

  /** A new builder; {@link Builder#supervisor} and {@link Builder#app} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds the port and starts serving.
   *
   * @throws UncheckedIOException when the address cannot be bound
   * @throws IllegalStateException when already started
   */
  public synchronized ShimmyEdge start() {
    if (loops != null) {
      throw new IllegalStateException("already started");
    }
    EdgeSettings shared = settings;
    MultiThreadIoEventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            eventLoops, new DefaultThreadFactory("shimmy-edge", true), Transport.BEST.handlers());
    Map<EventExecutor, UpstreamPool> pools = new IdentityHashMap<>();
    group.forEach(loop -> pools.put(loop, new UpstreamPool()));
    int headerLimit = maxHeaderBytes;
    // One reader-idle clock serves both the keep-alive idle timeout and the body read timeout.
    long idleMillis =
        Math.min(settings.idleTimeout().toMillis(), settings.bodyReadTimeout().toMillis());
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(Transport.BEST.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    // every loop of the group got its pool above
                    UpstreamPool pool = Objects.requireNonNull(pools.get(channel.eventLoop()));
                    channel
                        .pipeline()
                        .addLast(
                            new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS),
                            new HttpRequestDecoder(
                                new HttpDecoderConfig()
                                    .setMaxInitialLineLength(headerLimit)
                                    .setMaxHeaderSize(headerLimit)
                                    .setMaxChunkSize(8192)),
                            new FrontHandler(shared, pool));
                  }
                });
    try {
      server = bootstrap.bind(host, port).sync().channel();
    } catch (Exception e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw new UncheckedIOException(
          new IOException("cannot bind " + host + ":" + port + ": " + e, e));
    }
    loops = group;
    Transport transport = Transport.BEST;
    log.info(
        "edge listening on {} (event loops {}, transport {}, application at {})",
        url(),
        eventLoops,
        transport.name(),
        settings.app());
    if (transport.fallbackCause() != null) {
      log.info("edge transport falls back to NIO: {}", transport.fallbackCause());
    }
    return this;
  }

  /** The port the edge listens on (the real one when built with port 0). */
  public int port() {
    Channel channel = server;
    if (channel == null) {
      throw new IllegalStateException("not started");
    }
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** {@code http://HOST:PORT} of the edge. */
  public String url() {
    String shown = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + shown + ":" + port();
  }

  /**
   * Stops accepting and closes every connection (their leases are released); waits up to 5 s for
   * the event loops to end. Idempotent.
   */
  @Override
  public synchronized void close() {
    MultiThreadIoEventLoopGroup group = loops;
    Channel channel = server;
    loops = null;
    server = null;
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
    if (group != null) {
      group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  /** Configures a {@link ShimmyEdge}. */
  public static final class Builder {

    private @Nullable ShimmySupervisor supervisor;
    private @Nullable URI app;
    private String host = "127.0.0.1";
    private int port;
    private int eventLoops = Math.max(1, Runtime.getRuntime().availableProcessors());
    private Predicate<String> answeredByApp = ShimmyHttpApi::answersItself;
    private long maxDirectBodyBytes = ShimmyHttpApi.DEFAULT_MAX_BODY_BYTES;
    private long maxRequestBytes = ShimmyHttpApi.DEFAULT_MAX_REQUEST_BYTES;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration readTimeout = DEFAULT_READ_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private Duration bodyReadTimeout = DEFAULT_BODY_READ_TIMEOUT;
    private int maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES;
    private @Nullable MeterRegistry meterRegistry;
    private ModelRouter router = ModelRouter.defaults();
    private Duration acquireWait = ShimmyProxy.DEFAULT_ACQUIRE_WAIT;

    private Builder() {}

    /**
     * How long a WebSocket upgrade whose first frame names a model that is not running waits for
     * its instance to start (on a thread of its own, never on the event loops); default {@link
     * ShimmyProxy#DEFAULT_ACQUIRE_WAIT}, like the proxy's.
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
     * How generation requests are routed by their model; default {@link ModelRouter#defaults()}.
     * Give it the same router as the application's {@link ShimmyProxy}.
     */
    public Builder router(ModelRouter router) {
      this.router = Objects.requireNonNull(router, "router");
      return this;
    }

    /**
     * Leases Shimmy instances for direct requests (required). Its {@link
     * ShimmySupervisor#tryAcquire(String)}, {@link ShimmySupervisor#acquire()} and {@link
     * ShimmySupervisor#models()} run on the event loops, so they must not block.
     */
    public Builder supervisor(ShimmySupervisor supervisor) {
      this.supervisor = Objects.requireNonNull(supervisor, "supervisor");
      return this;
    }

    /** The application behind the edge, e.g. {@code http://127.0.0.1:41234} (required). */
    public Builder app(URI app) {
      this.app = Objects.requireNonNull(app, "app");
      return this;
    }

    /** Address to bind; default {@code 127.0.0.1}. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** Port to bind; default 0 (any free port, see {@link ShimmyEdge#port()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      this.port = port;
      return this;
    }

    /** Event-loop threads; default one per available processor. */
    public Builder eventLoops(int eventLoops) {
      if (eventLoops < 1) {
        throw new IllegalArgumentException("eventLoops must be at least 1");
      }
      this.eventLoops = eventLoops;
      return this;
    }

    /**
     * Paths always handed to the application; default {@link ShimmyHttpApi#answersItself}. An
     * application with more routes of its own than the API's adds them here.
     */
    public Builder answeredByApp(Predicate<String> answeredByApp) {
      this.answeredByApp = Objects.requireNonNull(answeredByApp, "answeredByApp");
      return this;
    }

    /**
     * The application's body limit: a request declaring a larger body, or more than the API's own
     * limit for its route ({@link ShimmyHttpApi#bodyLimit}: 64 KiB for a pull), is answered 413
     * {@code payload_too_large} by the edge itself, before anything is forwarded (the rest of the
     * body is read and dropped for a moment, so the answer reaches the client); default {@link
     * ShimmyHttpApi#DEFAULT_MAX_BODY_BYTES}.
     */
    public Builder maxDirectBodyBytes(long maxDirectBodyBytes) {
      if (maxDirectBodyBytes < 0) {
        throw new IllegalArgumentException("maxDirectBodyBytes must not be negative");
      }
      this.maxDirectBodyBytes = maxDirectBodyBytes;
      return this;
    }

    /**
     * The application's pull body cap, as given to its {@code
     * ShimmyHttpApi.Builder#maxRequestBytes}: a {@code POST /v1/api/pull} declaring a larger body
     * is answered 413 {@code payload_too_large} by the edge itself (never above {@link
     * #maxDirectBodyBytes}); default {@link ShimmyHttpApi#DEFAULT_MAX_REQUEST_BYTES} (64 KiB).
     */
    public Builder maxRequestBytes(long maxRequestBytes) {
      if (maxRequestBytes <= 0) {
        throw new IllegalArgumentException("maxRequestBytes must be positive");
      }
      this.maxRequestBytes = maxRequestBytes;
      return this;
    }

    /** Connect timeout to Shimmy and the application; default {@link #DEFAULT_CONNECT_TIMEOUT}. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = positive(connectTimeout, "connectTimeout");
      return this;
    }

    /** Longest upstream silence during a response; default {@link #DEFAULT_READ_TIMEOUT}. */
    public Builder readTimeout(Duration readTimeout) {
      this.readTimeout = positive(readTimeout, "readTimeout");
      return this;
    }

    /**
     * How long an idle client keep-alive connection stays open; default {@link
     * #DEFAULT_IDLE_TIMEOUT}. A connection with a request in flight is never closed for idling.
     */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = positive(idleTimeout, "idleTimeout");
      return this;
    }

    /**
     * The longest a client may stay silent while its request body is incomplete; then it is
     * answered 408 {@code request_timeout} (if nothing was answered yet) and the connection is
     * closed, whatever route the request took. Default {@link #DEFAULT_BODY_READ_TIMEOUT}.
     */
    public Builder bodyReadTimeout(Duration bodyReadTimeout) {
      this.bodyReadTimeout = positive(bodyReadTimeout, "bodyReadTimeout");
      return this;
    }

    /** Limit of the request line and of the request headers; default 8 KiB (431 or 414 above). */
    public Builder maxHeaderBytes(int maxHeaderBytes) {
      if (maxHeaderBytes < 256) {
        throw new IllegalArgumentException("maxHeaderBytes must be at least 256");
      }
      this.maxHeaderBytes = maxHeaderBytes;
      return this;
    }

    /**
     * Counts direct requests by status into {@link ShimmyProxy#REQUESTS_METER}, and routed ones by
     * model into {@code shimmy.proxy.model.requests}.
     */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
      return this;
    }

    /** A configured, not yet started edge. */
    public ShimmyEdge build() {
      return new ShimmyEdge(this);
    }

    private static Duration positive(Duration value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive");
      }
      return value;
    }
  }
}
