package io.github.shimmypull.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.doubles.Fixture;
import io.github.shimmypull.core.doubles.RecordingProxy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A body that stops arriving is answered 408 on the API's own routes, whatever the adapter. */
class BodyTimeoutTest {

  @TempDir Path modelDir;
  private Fixture fx;

  @AfterEach
  void tearDown() {
    if (fx != null) {
      fx.close();
    }
  }

  @Test
  void aPullBodyWhoseReadTimesOutIsAnswered408() throws Exception {
    fx = new Fixture(modelDir);
    ShimmyHttpApi api =
        ShimmyHttpApi.builder().coordinator(fx.coordinator()).proxy(new RecordingProxy()).build();
    StalledExchange exchange = new StalledExchange("POST", "/v1/api/pull");

    api.handle(exchange);

    assertThat(exchange.status).isEqualTo(408);
    assertThat(exchange.body.toString(StandardCharsets.UTF_8))
        .contains("\"code\":\"request_timeout\"");
  }

  /** An exchange whose body delivers a few bytes of the 100 it declares, then times out. */
  private static final class StalledExchange implements HttpExchange {
    final String method;
    final String path;
    int status;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    final List<String> headers = new ArrayList<>();

    StalledExchange(String method, String path) {
      this.method = method;
      this.path = path;
    }

    @Override
    public String method() {
      return method;
    }

    @Override
    public String path() {
      return path;
    }

    @Override
    public @Nullable String rawQuery() {
      return null;
    }

    @Override
    public List<String> requestHeaderNames() {
      return List.of("Content-Length", "Content-Type");
    }

    @Override
    public List<String> requestHeaders(String name) {
      Map<String, String> values =
          Map.of("content-length", "100", "content-type", "application/json");
      String value = values.get(name.toLowerCase(java.util.Locale.ROOT));
      return value == null ? List.of() : List.of(value);
    }

    @Override
    public InputStream requestBody() {
      return new InputStream() {
        private int sent;

        @Override
        public int read() throws IOException {
          if (sent++ < 9) {
            return '{';
          }
          throw new SocketTimeoutException("Read timed out");
        }
      };
    }

    @Override
    public void status(int status) {
      this.status = status;
    }

    @Override
    public void addResponseHeader(String name, String value) {
      headers.add(name + ": " + value);
    }

    @Override
    public OutputStream responseBody() {
      return body;
    }
  }
}
