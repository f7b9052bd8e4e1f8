package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.http.ErrorResponses;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * Jetty's own error answers (a request it cannot parse or route: {@code %00}, an ambiguous or
 * undecodable path, an absolute-form target, a servlet-level error) as core's JSON errors, through
 * {@link ErrorResponses}, instead of Jetty's HTML page. The message is Jetty's reason when it is
 * short plain text, else the status's reason phrase; no exception text is shown.
 */
public final class JsonErrorHandler extends ErrorHandler {

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int code,
      @Nullable String message,
      @Nullable Throwable cause,
      Callback callback) {
    byte[] body = ErrorResponses.body(ErrorResponses.code(code), text(code, message));
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, ErrorResponses.CONTENT_TYPE);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Integer.toString(body.length));
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  @Override
  public ByteBuffer badMessageError(
      int status, @Nullable String reason, HttpFields.Mutable fields) {
    fields.put(new HttpField(HttpHeader.CONTENT_TYPE, ErrorResponses.CONTENT_TYPE));
    return ByteBuffer.wrap(ErrorResponses.body(ErrorResponses.code(status), text(status, reason)));
  }

  private static String text(int code, @Nullable String message) {
    String phrase = HttpStatus.getMessage(code);
    if (message == null
        || message.isBlank()
        || message.length() > 200
        || message.contains("Exception")
        || message.contains("<")) {
      return phrase;
    }
    return message.equals(phrase) ? phrase : phrase + ": " + message;
  }
}
