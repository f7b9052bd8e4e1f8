package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.routing.RoutingException;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request of a client connection and its response: its route (a Shimmy instance or the
 * application), its upstream connection, its body (held, replayed, forwarded) and the streamed
 * answer, including the WebSocket tunnel. All methods run on the connection's event loop.
 */
final class Exchange implements UpstreamListener {

  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  private final FrontHandler front;
  private final EdgeSettings settings;
  private final UpstreamPool pool;

  private final HttpRequest request;
  private final boolean head;
  private final boolean clientHttp10;
  private final boolean requestHasBody;
  private final String path;
  private final long declaredLength;
  private final boolean transferEncoding;
  private final boolean webSocket;
  boolean tunnel;
  private final ForwardedHeaders forwarded;
  private boolean clientKeepAlive;
  private @Nullable Lease lease;
  private boolean toApp;
  @Nullable Channel upstream;
  private @Nullable List<HttpObject> pending = new ArrayList<>(4);
  private @Nullable List<HttpContent> replay;
  private boolean reused;
  private boolean retried;
  boolean requestComplete;
  private boolean responseStarted;
  private boolean chunkedToClient;
  private boolean upstreamKeepAlive;
  private int status;
  private boolean finished;

  /** Bytes for the client gathered within one read of the upstream: the head and a small body. */
  private @Nullable ByteBuf outgoing;

  /** A routed POST whose body is held until its model is known (then the route is chosen). */
  @Nullable List<HttpContent> routing;

  /** The client's bytes after the edge accepted a WebSocket itself, until the tunnel opens. */
  @Nullable ByteBuf firstFrame;

  private boolean selfAccepted;
  boolean frameRead;

  /**
   * @param path the request target without its query
   * @param declaredLength the declared {@code Content-Length}, 0 without one, -1 when invalid
   */
  Exchange(FrontHandler front, HttpRequest request, String path, long declaredLength) {
    this.front = front;
    this.settings = front.settings;
    this.pool = front.pool;
    this.request = request;
    this.head = request.method().equals(HttpMethod.HEAD);
    this.clientHttp10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
    this.clientKeepAlive = HttpUtil.isKeepAlive(request);
    HttpHeaders headers = request.headers();
    this.path = path;
    this.declaredLength = declaredLength;
    this.transferEncoding = headers.contains(HttpHeaderNames.TRANSFER_ENCODING);
    this.requestHasBody = transferEncoding || declaredLength != 0;
    this.webSocket =
        request.method().equals(HttpMethod.GET)
            && headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
            && headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    this.forwarded = new ForwardedHeaders(headers);
  }

  /**
   * True when the request can be sent once more, to the application on a fresh connection, after
   * its connection failed before any of the response came: a request without a body, or one whose
   * body is still held or kept, on a kept-alive connection that the other side closed while we
   * reused it (that failure shows only once we write). A direct request without a body is also
   * retried on a fresh connection's failure (the instance went away mid-switch); a request whose
   * body a fresh connection took is not, as Shimmy may have acted on it.
   */
  private boolean retryable() {
    if (retried || responseStarted) {
      return false;
    }
    if (reused) {
      return !requestHasBody || replay != null || pending != null;
    }
    return !toApp && !requestHasBody;
  }

  void start() {
    toApp = !direct();
    prepareHead();
    if (!toApp && ModelRouter.isRoutedPath(path) && request.method().equals(HttpMethod.POST)) {
      if (declaredLength > 0 && declaredLength <= settings.router().maxPrefixBytes()) {
        routing = new ArrayList<>(2); // chosen once the body is complete: see route()
        return;
      }
      toApp = true; // no body, or one past the prefix: the application routes it
    } else if (!toApp) {
      if (webSocket
          && request.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_KEY)
          && modelIds().size() > 1) {
        selfAccepted = true; // the 101 goes out once the upgrade request is complete
        responseStarted = true;
        status = 101;
        return;
      }
      try {
        lease = webSocket ? webSocketLease() : settings.supervisor().acquire();
      } catch (RuntimeException noInstance) {
        lease = null;
      }
      toApp = lease == null; // the application waits for a start in progress or answers 503
    }
    send(request);
    connect(false);
  }

  /**
   * The held body of a routed POST is complete: its model decides. A ready instance of it gets the
   * request directly (its body rewritten as the proxy would: the resolved id, {@code
   * "stream":false}); everything else (unknown or missing model, no ready instance: a cold start, a
   * queue) goes unchanged to the application, whose proxy decides and answers the same way for
   * every front.
   */
  private void route(List<HttpContent> body) {
    routing = null;
    RoutedBody routed = RoutedBody.route(body, path, request, settings, modelIds());
    lease = routed.lease();
    toApp = lease == null;
    List<HttpContent> toSend = routed.forwarded();
    send(request);
    toSend.forEach(this::send);
    connect(false);
  }

  /** A WebSocket upgrade with one model (or none) goes straight to its instance. */
  private @Nullable Lease webSocketLease() {
    String model = settings.router().resolve(null, modelIds());
    return model == null
        ? settings.supervisor().acquire()
        : settings.supervisor().tryAcquire(model);
  }

  private List<String> modelIds() {
    return front.modelIds();
  }

  private boolean direct() {
    return RequestAdmission.isDirect(
        request, path, declaredLength, transferEncoding, webSocket, settings);
  }

  /** Reads what the forwarded heads need from the client's head, which is not changed. */
  private void prepareHead() {
    forwarded.prepare(request, front.clientAddress(), transferEncoding);
  }

  /**
   * What goes on the upstream's wire for {@code message}: the head written for the current route
   * (Shimmy gets its own Host and X-Forwarded-*), body bytes as they are or in chunks; null for
   * nothing (the empty end of a body sent with its length).
   */
  private @Nullable ByteBuf toWire(Channel channel, HttpObject message) {
    if (message instanceof HttpRequest head) {
      Lease held = lease;
      ByteBuf out = channel.alloc().buffer(512);
      forwarded.writeHead(
          out, head, !toApp && held != null ? held.baseUrl().getAuthority() : null, webSocket);
      return out;
    }
    HttpContent content = (HttpContent) message;
    ByteBuf data = content.content(); // the content's bytes and its reference count
    boolean last = content instanceof LastHttpContent;
    if (!forwarded.chunked()) {
      if (data.isReadable()) {
        return data;
      }
      data.release();
      return null;
    }
    ByteBuf framed = channel.alloc().buffer(data.readableBytes() + 24);
    if (data.isReadable()) {
      EdgeResponses.chunkStart(framed, data.readableBytes());
      framed.writeBytes(data);
      EdgeResponses.chunkEnd(framed);
    }
    if (last) {
      framed.writeBytes(EdgeResponses.lastChunk()); // trailer fields are not forwarded
    }
    data.release();
    return framed;
  }

  private static void write(Channel channel, @Nullable ByteBuf bytes) {
    if (bytes != null) {
      channel.write(bytes, channel.voidPromise()); // a failure reaches UpstreamHandler
    }
  }

  private URI target() {
    Lease held = lease;
    return toApp || held == null ? settings.app() : held.baseUrl();
  }

  private void connect(boolean fresh) {
    URI address = target();
    Channel pooled = fresh ? null : pool.take(address);
    if (pooled != null) {
      reused = true;
      attach(pooled, false); // the client's read batch ends with a flush of the upstream
      return;
    }
    ChannelHandlerContext context = front.context();
    context.channel().config().setAutoRead(false);
    ChannelFuture connecting =
        UpstreamConnector.connect(context.channel().eventLoop(), address, settings, pool);
    connecting.addListener(
        (ChannelFuture done) -> {
          if (finished) {
            done.channel().close(); // the client left while we connected
          } else if (done.isSuccess()) {
            attach(done.channel(), true);
          } else {
            connectFailed(address, done.cause());
          }
        });
  }

  private void attach(Channel channel, boolean flush) {
    upstream = channel;
    UpstreamHandler.of(channel).bind(this, head);
    if (!holdsBody()) {
      writePending(flush);
    }
    front.updateClientReads();
  }

  /**
   * True while a small body for the application is still arriving: like nginx's request buffering,
   * it is held and written in one go with its head, so an application that answers early (413) and
   * closes has already received all of it, and its close is not a reset that would destroy the
   * answer on its way back.
   */
  private boolean holdsBody() {
    return toApp
        && !requestComplete
        && declaredLength > 0
        && declaredLength <= FrontHandler.APP_HELD_BODY_BYTES;
  }

  private void writePending(boolean flush) {
    Channel channel = upstream;
    List<HttpObject> waiting = pending;
    if (channel == null || waiting == null) {
      return;
    }
    pending = null;
    for (HttpObject message : waiting) {
      keepForReplay(message);
      write(channel, toWire(channel, message));
    }
    if (flush) {
      channel.flush();
    }
  }

  private void releasePending() {
    List<HttpContent> held = routing;
    routing = null;
    if (held != null) {
      held.forEach(ReferenceCountUtil::release);
    }
    List<HttpObject> waiting = pending;
    pending = null;
    if (waiting != null) {
      waiting.forEach(ReferenceCountUtil::release);
    }
  }

  private void connectFailed(URI address, Throwable cause) {
    if (selfAccepted) {
      closeWebSocket("the instance cannot be reached", 1011);
      return;
    }
    if (!toApp) {
      log.debug(
          "Shimmy at {} refused a connection ({}); handing the request to the application",
          address,
          cause.toString());
      handToApplication();
      return;
    }
    log.warn(
        "the application behind the edge at {} cannot be reached: {}", address, cause.toString());
    releasePending();
    answerError(502, "upstream_error", "the application behind the edge cannot be reached");
  }

  /** Replaces the direct route by the application; only while no body byte has gone out. */
  private void handToApplication() {
    boolean appFailed = toApp; // then its other pooled connections are suspect too
    retried = true;
    reused = false;
    releaseLease();
    toApp = true;
    List<HttpObject> waiting = pending;
    List<HttpContent> kept = replay;
    replay = null;
    List<HttpObject> resend = new ArrayList<>(4);
    resend.add(request);
    if (waiting != null) {
      resend.addAll(waiting.subList(1, waiting.size()));
    } else if (kept != null) {
      resend.addAll(kept);
    } else if (requestComplete) {
      resend.add(LastHttpContent.EMPTY_LAST_CONTENT);
    }
    pending = resend;
    upstream = null;
    connect(appFailed);
    Channel pooled = upstream;
    if (pooled != null) {
      pooled.flush(); // not inside a read of the client's, whose end would flush it
    }
  }

  void requestContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    if (selfAccepted) {
      ReferenceCountUtil.release(content); // an upgrade request has no body
      if (last && !requestComplete) {
        requestComplete = true;
        // after the decoder's read is over: it must not parse the frames that follow as HTTP
        front.context().channel().eventLoop().execute(this::switchProtocols);
      }
      return;
    }
    List<HttpContent> held = routing;
    if (held != null && !finished) {
      held.add(content);
      if (last) {
        requestComplete = true;
        route(held);
        front.updateClientReads();
      }
      return;
    }
    if (finished) {
      ReferenceCountUtil.release(content);
    } else {
      send(content);
    }
    if (last) {
      requestComplete = true;
      front.updateClientReads();
    } else if (upstream != null && !upstream.isWritable()) {
      front.updateClientReads();
    }
  }

  private void send(HttpObject message) {
    List<HttpObject> waiting = pending;
    if (waiting != null) {
      waiting.add(message);
      if (upstream != null && message instanceof LastHttpContent) {
        writePending(false); // a held body is complete; the client's read batch ends with a flush
      }
    } else if (upstream != null) {
      Channel to = upstream;
      keepForReplay(message);
      write(to, toWire(to, message));
    } else {
      ReferenceCountUtil.release(message);
    }
  }

  /** Keeps a duplicate of small request bodies until the response starts, to retry with. */
  private void keepForReplay(HttpObject message) {
    if (!(message instanceof HttpContent content)
        || responseStarted
        || retried
        || declaredLength > FrontHandler.REPLAYABLE_BODY_BYTES) {
      return;
    }
    List<HttpContent> kept = replay;
    if (kept == null) {
      kept = new ArrayList<>(2);
      replay = kept;
    }
    kept.add(content.retainedDuplicate());
  }

  private void dropReplay() {
    List<HttpContent> kept = replay;
    replay = null;
    if (kept != null) {
      kept.forEach(ReferenceCountUtil::release);
    }
  }

  @Override
  public void upstreamRead(Object message) {
    if (finished) {
      ReferenceCountUtil.release(message);
      return;
    }
    if (tunnel) {
      if (message instanceof ByteBuf bytes) {
        toClient(bytes);
      } else {
        ReferenceCountUtil.release(message);
      }
      return;
    }
    if (message instanceof ResponseHead response) {
      if (response.status() == 101) {
        if (webSocket && !toApp) {
          openTunnel(response);
        } else {
          upstreamFailed("an unexpected 101 Switching Protocols");
        }
      } else if (selfAccepted) {
        closeWebSocket("Shimmy refused the WebSocket (" + response.status() + ")", 1011);
      } else if (response.interim()) {
        // e.g. 100 Continue from the application: the final answer follows. HTTP/1.0 clients
        // know no interim answers (RFC 9110 §15.2).
        if (!clientHttp10) {
          ByteBuf interim = front.context().alloc().buffer(response.encodedLength());
          response.writeTo(interim, false, null);
          front.context().writeAndFlush(interim);
        }
      } else {
        respond(response);
      }
    } else if (message == UpstreamResponseDecoder.END) {
      responseEnded();
    } else if (message instanceof ByteBuf data) {
      body(data);
    } else {
      ReferenceCountUtil.release(message);
    }
  }

  /**
   * Shimmy accepted the WebSocket upgrade: forward its 101, then take the request decoder out of
   * the client's connection (the upstream's decoder passes bytes on after a 101 by itself) and
   * relay raw bytes both ways until either side closes. The lease is held for the tunnel's life, so
   * a blue-green switch drains it like any stream.
   */
  private void openTunnel(ResponseHead switching) {
    Channel from = upstream;
    tunnel = true; // the upstream's decoder passes everything after the 101 on as it is
    if (selfAccepted) {
      // The client has our 101 already: drop Shimmy's, then hand it the held first frame.
      ByteBuf held = firstFrame;
      firstFrame = null;
      if (from != null && held != null && held.isReadable()) {
        from.writeAndFlush(held);
      } else if (held != null) {
        held.release();
      }
      front.updateClientReads();
      return;
    }
    responseStarted = true;
    dropReplay();
    status = 101;
    ChannelHandlerContext context = front.context();
    ByteBuf head = context.alloc().buffer(switching.encodedLength() + 48);
    switching.writeTo(head, false, "connection: upgrade\r\nupgrade: websocket\r\n");
    context.write(head);
    // The client's decoder hands on the bytes it holds: bytes that arrived with the upgrade
    // request (or, against the rules, before Shimmy's 101) pass as they are.
    context.pipeline().remove(HttpRequestDecoder.class);
    context.flush();
    front.updateClientReads();
  }

  /** Answers the WebSocket upgrade itself, then reads raw bytes from the client. */
  private void switchProtocols() {
    if (finished) {
      return;
    }
    String key = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY, "");
    // We answered for Shimmy: no extension it might accept is known to the client.
    request.headers().remove(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS);
    ChannelHandlerContext context = front.context();
    firstFrame = context.alloc().buffer();
    context.write(EdgeResponses.switchingProtocols(WebSocketFrames.accept(key)));
    context.pipeline().remove(HttpRequestDecoder.class);
    context.flush();
    front.updateClientReads();
  }

  /** Client bytes after our 101: once the first frame is complete, its model decides. */
  void webSocketBytes(Object message) {
    ByteBuf held = firstFrame;
    if (held == null || finished || !(message instanceof ByteBuf bytes)) {
      ReferenceCountUtil.release(message);
      return;
    }
    held.writeBytes(bytes);
    bytes.release();
    if (frameRead) {
      return; // kept for the instance, sent after its 101
    }
    WebSocketFrames.Frame frame;
    try {
      frame = WebSocketFrames.first(held, settings.router().maxPrefixBytes());
    } catch (WebSocketFrames.TooLarge e) {
      closeWebSocket(
          "the first frame is larger than " + settings.router().maxPrefixBytes() + " bytes", 1009);
      return;
    }
    if (frame == null) {
      return;
    }
    frameRead = true;
    front.updateClientReads();
    String model;
    try {
      model = RoutedBody.firstFrameModel(frame, settings.router(), modelIds());
    } catch (RoutingException refused) {
      closeWebSocket(String.valueOf(refused.getMessage()), 1008);
      return;
    }
    if (model == null) {
      closeWebSocket("no model is served", 1011);
      return;
    }
    Lease ready = settings.supervisor().tryAcquire(model);
    if (ready != null) {
      leased(ready);
      return;
    }
    String wanted = model;
    EventLoop loop = front.context().channel().eventLoop();
    settings
        .blocking()
        .execute(
            () -> {
              try {
                Lease started = settings.supervisor().acquire(wanted, settings.acquireWait());
                loop.execute(() -> leased(started));
              } catch (RuntimeException e) {
                String why =
                    e instanceof SupervisorException se
                        ? "the instance of "
                            + wanted
                            + " is not ready ("
                            + se.reason().code()
                            + "): "
                            + e.getMessage()
                        : "the instance of " + wanted + " is not ready: " + e;
                loop.execute(() -> closeWebSocket(why, 1013));
              }
            });
  }

  /** The instance of the first frame's model: send it the upgrade, then that frame. */
  private void leased(Lease leased) {
    if (finished) {
      leased.close();
      return;
    }
    lease = leased;
    toApp = false;
    pending = new ArrayList<>(2);
    send(request);
    send(LastHttpContent.EMPTY_LAST_CONTENT);
    connect(false);
    Channel pooled = upstream;
    if (pooled != null) {
      pooled.flush(); // not inside a read of the client's
    }
  }

  /** Ends a WebSocket we accepted: Shimmy's error frame, a close frame, then the connection. */
  private void closeWebSocket(String message, int code) {
    Channel used = upstream;
    upstream = null;
    if (used != null) {
      used.close();
    }
    log.debug("closing a WebSocket to {}: {}", request.uri(), message);
    ChannelHandlerContext context = front.context();
    ByteBuf frames =
        WebSocketFrames.errorAndClose(context.alloc(), Json.write(Map.of("error", message)), code);
    finish();
    front.forget(this);
    context.writeAndFlush(frames).addListener(ChannelFutureListener.CLOSE);
  }

  void tunnelToUpstream(Object message) {
    Channel to = upstream;
    if (to == null || !(message instanceof ByteBuf)) {
      ReferenceCountUtil.release(message);
      return;
    }
    to.write(message);
    if (!to.isWritable()) {
      front.updateClientReads();
    }
  }

  /** Writes to the client; stops reading the upstream while the client's socket is full. */
  private void toClient(Object message) {
    Channel client = front.context().channel();
    client.write(message, client.voidPromise()); // a failure reaches exceptionCaught: close
    Channel from = upstream;
    if (!client.isWritable() && from != null) {
      from.config().setAutoRead(false);
    }
  }

  /**
   * The upstream's final head: its forwarded lines go to the client as they are, with the framing
   * and {@code Connection} this client needs. The head waits in {@link #outgoing} for the body
   * bytes of the same read, so a small answer leaves in one write.
   */
  private void respond(ResponseHead response) {
    responseStarted = true;
    dropReplay();
    status = response.status();
    upstreamKeepAlive = response.keepAlive();
    if (!requestComplete && status >= 400) {
      // An error answered before the request body ended (the application's 408 after its body
      // read timed out, an early 413): the connection closes after it, and the answer says so.
      clientKeepAlive = false;
    }
    boolean bodyless = head || status == 204 || status == 304;
    if (!bodyless && response.body() != ResponseHead.Body.LENGTH) {
      if (clientHttp10) {
        clientKeepAlive = false; // the body ends when the connection does
      } else {
        chunkedToClient = true;
      }
    }
    String connection =
        !clientKeepAlive
            ? "connection: close\r\n"
            : clientHttp10 ? "connection: keep-alive\r\n" : null;
    long expected =
        response.body() == ResponseHead.Body.LENGTH && !bodyless ? response.contentLength() : 0;
    int capacity =
        response.encodedLength() + 32 + (int) Math.min(expected, FrontHandler.COALESCED_BYTES);
    ByteBuf out = front.context().alloc().buffer(capacity);
    response.writeTo(out, chunkedToClient, connection);
    outgoing = out;
  }

  /** Body bytes of the response, chunked for the client when its length is not declared. */
  private void body(ByteBuf data) {
    int length = data.readableBytes();
    if (length == 0) {
      data.release();
      return;
    }
    ByteBuf out = outgoing;
    if (out == null && chunkedToClient && length <= FrontHandler.COALESCED_BYTES) {
      out = front.context().alloc().buffer(length + 16);
      outgoing = out;
    }
    if (out != null && out.readableBytes() + length <= FrontHandler.COALESCED_BYTES) {
      if (chunkedToClient) {
        EdgeResponses.chunkStart(out, length);
      }
      out.writeBytes(data);
      data.release();
      if (chunkedToClient) {
        EdgeResponses.chunkEnd(out);
      }
      return;
    }
    writeOutgoing();
    if (chunkedToClient) {
      ByteBuf start = front.context().alloc().buffer(12);
      EdgeResponses.chunkStart(start, length);
      toClient(start);
      toClient(data);
      ByteBuf end = front.context().alloc().buffer(2);
      EdgeResponses.chunkEnd(end);
      toClient(end);
    } else {
      toClient(data);
    }
  }

  /** Writes the bytes gathered for the client, if any (the flush comes at the end of the read). */
  private void writeOutgoing() {
    ByteBuf out = outgoing;
    outgoing = null;
    if (out != null) {
      toClient(out);
    }
  }

  /** The response is complete: the upstream connection goes back to the pool, the client's ends. */
  private void responseEnded() {
    Channel used = upstream;
    upstream = null;
    if (used != null) {
      UpstreamHandler.of(used).unbind(used, upstreamKeepAlive && requestComplete);
    }
    ByteBuf last = outgoing;
    outgoing = null;
    if (chunkedToClient) {
      if (last == null) {
        last = EdgeResponses.lastChunk();
      } else {
        last.writeBytes(EdgeResponses.lastChunk());
      }
    }
    boolean keep = clientKeepAlive && requestComplete;
    front
        .context()
        .channel()
        .writeAndFlush(last == null ? Unpooled.EMPTY_BUFFER : last)
        .addListener((ChannelFuture written) -> responseWritten(written, keep));
  }

  @Override
  public void upstreamReadComplete() {
    writeOutgoing();
    front.context().channel().flush();
  }

  @Override
  public void upstreamWritabilityChanged(boolean writable) {
    front.updateClientReads();
  }

  @Override
  public void upstreamFailed(String why) {
    if (finished) {
      return;
    }
    Channel failed = upstream;
    upstream = null;
    if (failed != null) {
      failed.close();
    }
    if (selfAccepted && !tunnel) {
      closeWebSocket("the instance failed before accepting the WebSocket", 1011);
    } else if (responseStarted) {
      log.debug("aborting a response to {} {}: {}", request.method(), request.uri(), why);
      finish();
      front.forget(this);
      front.context().close(); // the client must see a broken response, not a complete one
    } else if (retryable()) {
      log.debug(
          "upstream failed before answering {} {} ({}); sending it to the application",
          request.method(),
          request.uri(),
          why);
      handToApplication();
    } else {
      log.debug("upstream failed before answering {} {}: {}", request.method(), request.uri(), why);
      answerError(
          502,
          "upstream_error",
          toApp
              ? "the application behind the edge failed before answering"
              : "Shimmy failed before answering");
    }
  }

  private void answerError(int code, String errorCode, String message) {
    status = code;
    responseStarted = true;
    boolean keep = clientKeepAlive && requestComplete;
    front
        .context()
        .writeAndFlush(EdgeResponses.error(code, errorCode, message, keep, head))
        .addListener((ChannelFuture written) -> responseWritten(written, keep));
  }

  private void responseWritten(ChannelFuture written, boolean keepConnection) {
    finish();
    front.exchangeDone(this, written.isSuccess() && keepConnection);
  }

  /**
   * The client stayed silent for the body read timeout with its body incomplete: 408 {@code
   * request_timeout} when nothing was answered yet, and the connection is closed either way.
   */
  void bodyTimedOut() {
    boolean answered = responseStarted;
    log.debug(
        "request body of {} {} timed out after {}",
        request.method(),
        request.uri(),
        settings.bodyReadTimeout());
    abandon();
    front.forget(this);
    front.drainRest();
    ChannelHandlerContext context = front.context();
    if (answered) {
      context.close();
      return;
    }
    context
        .writeAndFlush(
            EdgeResponses.error(
                408,
                "request_timeout",
                "the request body did not arrive within "
                    + settings.bodyReadTimeout().toMillis()
                    + " ms (a body shorter than its Content-Length?)",
                false,
                head))
        .addListener(ChannelFutureListener.CLOSE);
  }

  /** The client left: drop the upstream connection mid-exchange and release the lease. */
  void abandon() {
    Channel used = upstream;
    upstream = null;
    if (used != null) {
      used.close();
    }
    finish();
  }

  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    dropReplay();
    ByteBuf unsent = outgoing;
    outgoing = null;
    if (unsent != null) {
      unsent.release(); // the response was cut off: the client connection closes
    }
    ByteBuf held = firstFrame;
    firstFrame = null;
    if (held != null) {
      held.release();
    }
    releasePending();
    if (!toApp && status > 0) {
      settings.countForwarded().accept(status);
    }
    releaseLease();
  }

  private void releaseLease() {
    Lease held = lease;
    lease = null;
    if (held != null) {
      held.close();
    }
  }
}
