package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.http.ErrorResponses;
import io.github.shimmypull.core.http.RequestRefusal;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

/**
 * Refuses before Javalin routes what core's {@link RequestRefusal} refuses (CONNECT, a method that
 * is not an upper-case token, a path no route may take), so Jetty on the port answers those the way
 * the edge does: JSON, not Javalin's plain-text 404. The connection is closed after.
 */
public final class RequestRefusalFilter implements Filter {

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (request instanceof HttpServletRequest http && response instanceof HttpServletResponse out) {
      RequestRefusal refusal = RequestRefusal.of(http.getMethod(), http.getRequestURI());
      if (refusal != null) {
        byte[] body = ErrorResponses.body(refusal.code(), refusal.message());
        out.setStatus(refusal.status());
        out.setContentType(ErrorResponses.CONTENT_TYPE);
        out.setContentLength(body.length);
        out.setHeader("Connection", "close");
        out.getOutputStream().write(body);
        out.flushBuffer();
        if (http.getMethod().equals("CONNECT")) {
          // Jetty would keep a CONNECT's connection open as a tunnel: end it after the answer.
          ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(http);
          if (jetty != null) {
            jetty.getServletChannel().getEndPoint().shutdownOutput();
          }
        }
        return;
      }
    }
    chain.doFilter(request, response);
  }
}
