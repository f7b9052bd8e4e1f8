package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.routing.RoutingException;
import io.github.shimmypull.core.routing.internal.BodyScanner;
import io.github.shimmypull.core.supervisor.Lease;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model routing at the edge: the held body of a generation POST (or the first WebSocket frame) is
 * scanned for its {@code model}, resolved by the shared {@link ModelRouter}, and the ready instance
 * of that model leased without waiting; the body is rewritten as the proxy would.
 *
 * @param lease the ready instance of the model, or null: the request goes to the application
 * @param forwarded the body to send (the held one, or its rewrite for the instance)
 */
record RoutedBody(@Nullable Lease lease, List<HttpContent> forwarded) {

  private static final Logger log = LoggerFactory.getLogger(RoutedBody.class);

  /**
   * Routes a complete held body. A ready instance of its model gets it rewritten (the resolved id,
   * {@code "stream":false} where the path defaults to it; {@code request}'s Content-Length
   * follows); everything else (unknown or missing model, no ready instance) goes unchanged to the
   * application, which decides and answers the same way for every front.
   */
  static RoutedBody route(
      List<HttpContent> body,
      String path,
      HttpRequest request,
      EdgeSettings settings,
      List<String> ids) {
    int length = 0;
    for (HttpContent content : body) {
      length += content.content().readableBytes();
    }
    byte[] bytes = new byte[length];
    int at = 0;
    for (HttpContent content : body) {
      ByteBuf buffer = content.content();
      int readable = buffer.readableBytes();
      buffer.getBytes(buffer.readerIndex(), bytes, at, readable);
      at += readable;
    }
    BodyScanner scanner = new BodyScanner();
    scanner.feed(bytes, 0, length);
    scanner.end();
    String model = null;
    try {
      model = settings.router().resolve(scanner.requestedModel(), ids);
    } catch (RoutingException refused) {
      log.debug(
          "handing {} {} to the application: {}",
          request.method(),
          request.uri(),
          refused.getMessage());
    }
    Lease lease = model == null ? null : settings.supervisor().tryAcquire(model);
    if (model == null || lease == null) {
      return new RoutedBody(null, body);
    }
    settings.countRouted().accept(model);
    byte[] rewritten =
        scanner.forwarded(bytes, 0, length, 0, model, ModelRouter.defaultsToNonStreaming(path));
    if (rewritten == bytes) {
      return new RoutedBody(lease, body);
    }
    body.forEach(ReferenceCountUtil::release);
    request.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, rewritten.length);
    return new RoutedBody(
        lease, List.of(new DefaultLastHttpContent(Unpooled.wrappedBuffer(rewritten))));
  }

  /**
   * The model a WebSocket's first frame names (a complete text or binary frame's JSON), resolved.
   *
   * @return the id, or null when nothing is served
   * @throws RoutingException when the frame names an unknown model, or none among several
   */
  static @Nullable String firstFrameModel(
      WebSocketFrames.Frame frame, ModelRouter router, List<String> ids) {
    String requested = null;
    if (frame.fin() && (frame.opcode() == 1 || frame.opcode() == 2)) {
      BodyScanner scanner = new BodyScanner();
      scanner.feed(frame.payload(), 0, frame.payload().length);
      scanner.end();
      requested = scanner.requestedModel();
    }
    return router.resolve(requested, ids);
  }
}
