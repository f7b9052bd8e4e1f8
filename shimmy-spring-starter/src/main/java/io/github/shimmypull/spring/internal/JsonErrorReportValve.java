package io.github.shimmypull.spring.internal;

import io.github.shimmypull.core.http.ErrorResponses;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.apache.tomcat.util.res.StringManager;

/**
 * Tomcat's own error answers (a request it rejects before any servlet runs: {@code %00}, an
 * undecodable path, an absolute-form target it refuses) as core's JSON errors, through {@link
 * ErrorResponses}, instead of Tomcat's HTML report. Answers an application already wrote (Spring's
 * error handling) are left alone.
 */
public final class JsonErrorReportValve extends ErrorReportValve {

  @Override
  protected void report(Request request, Response response, Throwable throwable) {
    int status = response.getStatus();
    if (status < 400 || response.getContentWritten() > 0) {
      return;
    }
    AtomicBoolean ioAllowed = new AtomicBoolean(true);
    response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
    if (!ioAllowed.get() || !response.setErrorReported()) {
      return;
    }
    String reason =
        StringManager.getManager("org.apache.catalina.valves")
            .getString("http." + status + ".reason");
    String message =
        reason == null || reason.startsWith("Cannot find message") ? "HTTP " + status : reason;
    byte[] body = ErrorResponses.body(ErrorResponses.code(status), message);
    try {
      response.setContentType(ErrorResponses.CONTENT_TYPE);
      response.setContentLength(body.length);
      response.getOutputStream().write(body);
      response.finishResponse();
    } catch (IOException | IllegalStateException e) {
      // the client went away; nothing left to answer
    }
  }
}
