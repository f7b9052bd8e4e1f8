package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.http.RequestRefusal;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of the edge. A generation POST within the routing prefix is held until its
 * body is complete and routed by its {@code model} (the ready instance of it, else the
 * application); a WebSocket upgrade with several models is accepted here and routed by its first
 * frame. Every other request is routed once, when its head arrives:
 *
 * <ul>
 *   <li>straight to the live Shimmy instance (a lease taken without waiting) when it is a plain
 *       proxied request: origin-form target, a path the application does not answer itself, no
 *       {@code Expect} and no {@code Upgrade} other than WebSocket (tunnelled after Shimmy's 101)
 *       or h2c (ignored), and no body or a declared {@code Content-Length} within the limit;
 *   <li>otherwise to the application, which has the complete behaviour: its own API, waiting for a
 *       start in progress, 503 without an instance, 413, chunked request bodies.
 * </ul>
 *
 * <p>A direct request whose Shimmy connection cannot be opened, or fails before answering a request
 * without a body, is handed to the application instead (a blue-green switch can retire an instance
 * between the lease and the connect). Responses stream back chunk by chunk with a flush per read
 * batch; the lease is released when the last byte is written to the client. Requests on a
 * connection are answered in order (pipelined ones wait). Both directions apply back-pressure:
 * reading stops on one side while the other side's socket is full.
 *
 * <p>This handler owns the connection: admission of each head ({@link RequestAdmission}: refusals,
 * body limits, 413 and 408 answers), the order of pipelined requests, client reads and timeouts.
 * Each request is an {@link Exchange} (route, upstream, body, response, WebSocket tunnel), which
 * uses {@link ForwardedHeaders}, {@link RoutedBody} and {@link UpstreamConnector}.
 */
public final class FrontHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(FrontHandler.class);

  /** Direct request bodies up to this size are kept until the response starts, to be replayed. */
  static final long REPLAYABLE_BODY_BYTES = 64 * 1024;

  /** Bodies for the application up to this size are held and sent in one write with the head. */
  static final long APP_HELD_BODY_BYTES = 1024 * 1024;

  /**
   * How long the rest of a body answered early is read and dropped before the connection closes.
   */
  static final long DRAIN_MILLIS = 5_000;

  /**
   * Response bytes for the client are gathered in one buffer up to this size within a read of the
   * upstream (head, small bodies, chunk framing), so a small answer leaves in one write.
   */
  static final int COALESCED_BYTES = 16 * 1024;

  /** Pipelined messages kept while a response is in progress before reading pauses. */
  static final int MAX_QUEUED_MESSAGES = 64;

  final EdgeSettings settings;
  final UpstreamPool pool;
  private final ArrayDeque<HttpObject> queued = new ArrayDeque<>();
  private @Nullable ChannelHandlerContext ctx;
  private @Nullable Exchange current;
  private @Nullable String clientAddress;
  private long lastReadNanos = System.nanoTime();
  private boolean draining;
  private @Nullable List<DiscoveredModel> lastModels;
  private @Nullable List<String> lastIds;

  public FrontHandler(EdgeSettings settings, UpstreamPool pool) {
    this.settings = settings;
    this.pool = pool;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    lastReadNanos = System.nanoTime();
    if (draining) {
      boolean last = msg instanceof LastHttpContent;
      ReferenceCountUtil.release(msg); // the rest of a body already answered (413, 408)
      if (last) {
        ctx.close();
      }
      return;
    }
    Exchange exchange = current;
    if (exchange != null && exchange.tunnel) {
      exchange.tunnelToUpstream(msg); // WebSocket frames after the 101: raw bytes both ways
      return;
    }
    if (exchange != null && exchange.firstFrame != null && !(msg instanceof HttpObject)) {
      exchange.webSocketBytes(msg); // after our own 101: the first frame decides the model
      return;
    }
    if (!(msg instanceof HttpObject object)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (!queued.isEmpty() || (exchange != null && exchange.requestComplete)) {
      queued.add(object); // pipelined: answered once the current response is complete
      if (queued.size() >= MAX_QUEUED_MESSAGES) {
        updateClientReads();
      }
      return;
    }
    dispatch(object);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    Exchange exchange = current;
    if (exchange != null && exchange.upstream != null) {
      exchange.upstream.flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Exchange exchange = current;
    if (exchange != null && exchange.upstream != null && ctx.channel().isWritable()) {
      exchange.upstream.config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof IdleStateEvent) {
      Exchange exchange = current;
      long silentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastReadNanos);
      if (exchange == null) {
        if (silentMillis >= settings.idleTimeout().toMillis()) {
          ctx.close(); // an idle keep-alive connection
        }
      } else if (!exchange.requestComplete
          && !exchange.tunnel
          && ctx.channel().config().isAutoRead()
          && silentMillis >= settings.bodyReadTimeout().toMillis()) {
        exchange.bodyTimedOut(); // a body shorter than its Content-Length, or a stalled client
      }
      return;
    }
    ctx.fireUserEventTriggered(event);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Exchange exchange = current;
    current = null;
    if (exchange != null) {
      exchange.abandon();
    }
    HttpObject message;
    while ((message = queued.poll()) != null) {
      ReferenceCountUtil.release(message);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("client connection {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }

  private void dispatch(HttpObject message) {
    Exchange exchange = current;
    if (exchange != null) {
      if (message instanceof HttpContent content) {
        exchange.requestContent(content);
      } else {
        ReferenceCountUtil.release(message);
      }
    } else if (message instanceof HttpRequest request) {
      begin(request);
    } else {
      ReferenceCountUtil.release(message); // body of a request already answered
    }
  }

  private void begin(HttpRequest request) {
    DecoderResult decoded = request.decoderResult();
    if (decoded.isFailure()) {
      ReferenceCountUtil.release(request);
      rejectMalformed(decoded.cause());
      return;
    }
    boolean headRequest = request.method().equals(HttpMethod.HEAD); // its errors have no body
    RequestRefusal refusal = RequestRefusal.of(request.method().name(), request.uri());
    if (refusal != null) {
      ReferenceCountUtil.release(request);
      reject(refusal.status(), refusal.code(), refusal.message(), headRequest);
      return;
    }
    String path = RequestAdmission.path(request.uri());
    long declared = RequestAdmission.declaredLength(request);
    long limit = RequestAdmission.bodyLimit(request.method().name(), path, settings);
    if (declared > limit) {
      boolean complete = request instanceof LastHttpContent;
      ReferenceCountUtil.release(request);
      rejectAndDrain(
          413,
          "payload_too_large",
          "request body is larger than " + limit + " bytes",
          complete,
          headRequest);
      return;
    }
    Exchange exchange = new Exchange(this, request, path, declared);
    current = exchange;
    exchange.start();
    if (request instanceof HttpContent content) {
      exchange.requestContent(content);
    }
  }

  private void rejectMalformed(Throwable cause) {
    RequestAdmission.Refusal refusal = RequestAdmission.malformed(cause);
    reject(refusal.status(), "invalid_request", refusal.message(), false);
  }

  /**
   * Answers a request early and closes once its body has arrived, reading and dropping it for at
   * most {@link #DRAIN_MILLIS}: closing on unread bytes would reset the connection, and the reset
   * can destroy the answer before the client has read it.
   */
  private void rejectAndDrain(
      int status, String code, String message, boolean complete, boolean headRequest) {
    ChannelHandlerContext context = context();
    draining = true;
    ChannelFuture written =
        context.writeAndFlush(EdgeResponses.error(status, code, message, false, headRequest));
    if (complete) {
      written.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    context.channel().config().setAutoRead(true);
    context
        .executor()
        .schedule(
            () -> {
              context.close();
            },
            DRAIN_MILLIS,
            TimeUnit.MILLISECONDS);
  }

  /** Answers a request the edge refuses from its head, and closes: its body is never read. */
  private void reject(int status, String code, String message, boolean headRequest) {
    ChannelHandlerContext context = context();
    context
        .writeAndFlush(EdgeResponses.error(status, code, message, false, headRequest))
        .addListener(ChannelFutureListener.CLOSE);
    context.channel().config().setAutoRead(false);
  }

  /**
   * Reads from the client unless a request body waits for its upstream (connecting, or its socket
   * full) or too many pipelined messages are queued. Netty only touches the selector when the value
   * changes, so a keep-alive connection serving one request after another never does.
   */
  void updateClientReads() {
    Exchange exchange = current;
    boolean read =
        exchange != null && exchange.tunnel
            ? exchange.upstream != null && exchange.upstream.isWritable()
            : exchange != null && exchange.firstFrame != null
                ? !exchange
                    .frameRead // until the first frame is complete, then until the tunnel opens
                : queued.size() < MAX_QUEUED_MESSAGES
                    && (exchange == null
                        || exchange.requestComplete
                        || exchange.routing != null // a body within the routing prefix is held
                        || (exchange.upstream != null && exchange.upstream.isWritable()));
    context().channel().config().setAutoRead(read);
  }

  void exchangeDone(Exchange exchange, boolean keepConnection) {
    if (current != exchange) {
      return;
    }
    current = null;
    ChannelHandlerContext context = context();
    if (!keepConnection) {
      context.close();
      return;
    }
    HttpObject next;
    while ((current == null || !current.requestComplete) && (next = queued.poll()) != null) {
      dispatch(next);
    }
    Exchange started = current;
    if (started != null && started.upstream != null) {
      started.upstream.flush();
    }
    updateClientReads();
  }

  /** The exchange is over without an answer to wait for: the connection serves no request now. */
  void forget(Exchange exchange) {
    if (current == exchange) {
      current = null;
    }
  }

  /** What the client still sends of an answered request is read and dropped until it closes. */
  void drainRest() {
    draining = true;
  }

  /**
   * The served ids. Rebuilt only when the supervisor hands out another list: one that keeps its
   * discovery's list (as ProcessShimmySupervisor does) costs a reference compare per request.
   */
  List<String> modelIds() {
    List<DiscoveredModel> models = settings.supervisor().models();
    List<String> ids = lastIds;
    if (models != lastModels || ids == null) {
      List<String> built = new ArrayList<>(models.size());
      for (DiscoveredModel model : models) {
        built.add(model.id());
      }
      ids = List.copyOf(built);
      lastModels = models;
      lastIds = ids;
    }
    return ids;
  }

  ChannelHandlerContext context() {
    ChannelHandlerContext context = ctx;
    if (context == null) {
      throw new IllegalStateException("handler not added");
    }
    return context;
  }

  String clientAddress() {
    String address = clientAddress;
    if (address == null) {
      SocketAddress remote = context().channel().remoteAddress();
      address =
          remote instanceof InetSocketAddress inet && inet.getAddress() != null
              ? inet.getAddress().getHostAddress()
              : String.valueOf(remote);
      clientAddress = address;
    }
    return address;
  }
}
