package io.github.shimmypull.core.pull.internal;

import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.core.functions.CheckedSupplier;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.pull.PullCancellation;
import io.micrometer.core.instrument.Counter;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The Hugging Face Hub protocol: metadata HEAD, revision and tree APIs, and the download GET with
 * manual redirects, {@code X-Error-Code} mapping, and retries with exponential backoff and jitter
 * for transient failures.
 *
 * <p>Hostile-Hub rules: the token goes only to the configured endpoint's origin (scheme, host and
 * port), on every request; pagination that leaves that origin is refused; metadata bodies are read
 * through a bounded stream ({@code maxMetadataBytes}) and tree pages are capped ({@code
 * maxTreePages}); commit ids must be 40 hex characters and numbers from the Hub are parsed
 * defensively; a redirect to a non-http(s) URL fails at once; an unknown host is not retried.
 */
public final class HubClient {

  private static final Logger log = LoggerFactory.getLogger(HubClient.class);
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
  private static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(5);
  private static final int MAX_REDIRECTS = 10;

  private final OkHttpClient client;
  private final HttpUrl endpoint;
  private final @Nullable String token;
  private final long maxMetadataBytes;
  private final int maxTreePages;
  private final RetryConfig retryConfig;
  private final @Nullable Counter retries;

  /** Metadata the Hub reports for one file at a revision. */
  public record FileInfo(String commit, @Nullable String sha256, long size) {}

  /** One file of a repo tree. */
  public record TreeFile(String path, long size, @Nullable String sha256) {}

  public HubClient(
      OkHttpClient client,
      HttpUrl endpoint,
      @Nullable String token,
      long maxMetadataBytes,
      int maxTreePages,
      int maxAttempts,
      Duration initialBackoff,
      Duration maxBackoff,
      @Nullable Counter retries) {
    this.client = client;
    this.endpoint = endpoint;
    this.token = token;
    this.maxMetadataBytes = maxMetadataBytes;
    this.maxTreePages = maxTreePages;
    this.retries = retries;
    IntervalFunction backoff =
        IntervalFunction.ofExponentialRandomBackoff(
            Math.max(1, initialBackoff.toMillis()), 2.0, 0.5, Math.max(1, maxBackoff.toMillis()));
    IntervalBiFunction<Object> interval =
        (attempt, either) -> {
          if (either.isLeft()
              && either.getLeft() instanceof TransientHttpException t
              && t.retryAfter() != null) {
            Duration d = t.retryAfter();
            return Math.max(1, Math.min(d.toMillis(), MAX_RETRY_AFTER.toMillis()));
          }
          return backoff.apply(attempt);
        };
    this.retryConfig =
        RetryConfig.custom()
            .maxAttempts(Math.max(1, maxAttempts))
            .intervalBiFunction(interval)
            .retryOnException(HubClient::retryable)
            .build();
  }

  public HttpUrl endpoint() {
    return endpoint;
  }

  /**
   * Whether a failed attempt is worth another one: I/O failures are, except an unknown host (DNS
   * says no; offline or a wrong endpoint) and a cancelled call.
   */
  private static boolean retryable(Throwable t) {
    return t instanceof IOException
        && !(t instanceof UnknownHostException)
        && !(t instanceof Cancelled);
  }

  /**
   * Runs {@code call} with the retry policy ({@link #retryable}); everything else passes through.
   * Exhaustion becomes UPSTREAM (or RATE_LIMITED for 429).
   */
  public <T> T withRetry(String what, BooleanSupplier cancelled, CheckedSupplier<T> call) {
    Retry retry =
        Retry.of(
            what,
            RetryConfig.from(retryConfig)
                .retryOnException(t -> retryable(t) && !cancelled.getAsBoolean())
                .build());
    retry
        .getEventPublisher()
        .onRetry(
            e -> {
              if (retries != null) {
                retries.increment();
              }
              log.warn(
                  "{}: attempt {} failed ({}), retrying in {} ms",
                  what,
                  e.getNumberOfRetryAttempts(),
                  e.getLastThrowable() == null ? "?" : e.getLastThrowable().toString(),
                  e.getWaitInterval().toMillis());
            });
    try {
      return retry.executeCheckedSupplier(call);
    } catch (PullException | StartOverException e) {
      throw e;
    } catch (TransientHttpException e) {
      Reason reason = e.status() == 429 ? Reason.RATE_LIMITED : Reason.UPSTREAM;
      throw new PullException(reason, what + " failed after retries: " + e.getMessage(), e);
    } catch (IOException e) {
      if (cancelled.getAsBoolean() || e instanceof Cancelled) {
        throw new PullException(Reason.CANCELLED, what + " cancelled", e);
      }
      if (e instanceof UnknownHostException u) {
        throw unknownHost(what, u);
      }
      throw new PullException(Reason.UPSTREAM, what + " failed after retries: " + e, e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  private PullException unknownHost(String what, UnknownHostException e) {
    String host = e instanceof HostNotFound h ? h.host : String.valueOf(e.getMessage());
    if (host.equalsIgnoreCase(endpoint.host())) {
      return new PullException(
          Reason.UPSTREAM,
          "cannot resolve the Hub's host "
              + host
              + " (offline, or a wrong endpoint?): "
              + what
              + " failed; set --hf-endpoint or HF_ENDPOINT to a reachable Hub or mirror (now "
              + endpoint
              + ")",
          e);
    }
    return new PullException(
        Reason.UPSTREAM,
        "cannot resolve host "
            + host
            + " that the Hub ("
            + endpoint.host()
            + ") sent us to: "
            + what
            + " failed",
        e);
  }

  /** HEAD of {@code /{repo}/resolve/{rev}/{path}} without following the redirect. */
  public FileInfo head(String repo, String rev, String path, PullCancellation cancellation) {
    HttpUrl url = resolveUrl(repo, rev, path);
    return withRetry(
        "HEAD " + repo + "/" + path + "@" + rev,
        cancellation::isCancelled,
        () -> {
          try (Response r = endpointFollowing(url, true, cancellation)) {
            if (!r.isSuccessful() && !r.isRedirect()) {
              throw failure(r, repo, rev, path);
            }
            return fileInfo(r, repo, path);
          }
        });
  }

  /**
   * Executes a request to the Hub, following redirects that stay on the endpoint's origin (a
   * renamed repo answers 307 to its new name); a redirect elsewhere is returned as is. For HEAD, a
   * redirect carrying {@code X-Repo-Commit} is the answer (the CDN redirect).
   */
  private Response endpointFollowing(HttpUrl url, boolean head, PullCancellation cancellation)
      throws IOException {
    HttpUrl target = url;
    for (int hop = 0; ; hop++) {
      Request.Builder rb = authorized(new Request.Builder().url(target));
      if (head) {
        rb.head().header("Accept-Encoding", "identity");
      }
      Response r = execute(rb.build(), cancellation, null);
      String location = r.header("Location");
      HttpUrl next = r.isRedirect() && location != null ? target.resolve(location) : null;
      boolean answer = head && r.header("X-Repo-Commit") != null;
      if (next == null || answer || hop >= MAX_REDIRECTS || !atEndpoint(next)) {
        return r;
      }
      r.close();
      target = next;
    }
  }

  /**
   * Executes one call that {@code cancellation} cancels in flight; an unknown host comes back as
   * {@link HostNotFound} naming the host.
   */
  private Response execute(
      Request request, PullCancellation cancellation, @Nullable Consumer<Call> calls)
      throws IOException {
    if (cancellation.isCancelled()) {
      throw new Cancelled();
    }
    Call call = client.newCall(request);
    if (calls != null) {
      calls.accept(call);
    } else {
      cancellation.onCancel(call::cancel);
    }
    try {
      return call.execute();
    } catch (UnknownHostException e) {
      throw new HostNotFound(request.url().host(), e);
    } catch (IOException e) {
      if (cancellation.isCancelled()) {
        throw new Cancelled();
      }
      throw e;
    }
  }

  /**
   * Whether {@code url} has the endpoint's scheme, host and port: the only place the token goes.
   */
  private boolean atEndpoint(HttpUrl url) {
    return url.scheme().equals(endpoint.scheme())
        && url.host().equalsIgnoreCase(endpoint.host())
        && url.port() == endpoint.port();
  }

  private static FileInfo fileInfo(Response r, String repo, String path) {
    String commit = r.header("X-Repo-Commit");
    if (commit == null) {
      throw new PullException(
          Reason.UPSTREAM, "the Hub sent no X-Repo-Commit for " + repo + "/" + path);
    }
    String sizeText = r.header("X-Linked-Size");
    String sizeHeader = "X-Linked-Size";
    if (sizeText == null && r.isSuccessful()) {
      sizeText = r.header("Content-Length");
      sizeHeader = "Content-Length";
    }
    long size = sizeText == null ? -1 : size(sizeText, sizeHeader + " of " + repo + "/" + path);
    return new FileInfo(commit(commit, repo), sha256FromEtag(r.header("X-Linked-Etag")), size);
  }

  /** {@code text} if it is a 40-hex commit id (lower-cased), else UPSTREAM. */
  static String commit(String text, String repo) {
    String c = text.trim().toLowerCase(Locale.ROOT);
    if (!COMMIT.matcher(c).matches()) {
      throw new PullException(
          Reason.UPSTREAM,
          "the Hub sent an invalid commit id for "
              + repo
              + " ("
              + printable(text)
              + "; expected 40 hex characters)");
    }
    return c;
  }

  /**
   * A size or length from the Hub or its CDN: a non-negative decimal that fits a long, else
   * UPSTREAM.
   */
  public static long size(String text, String what) {
    String t = text.trim();
    try {
      long v = t.isEmpty() || t.length() > 19 ? -1 : Long.parseLong(t);
      if (v >= 0 && !t.startsWith("+")) {
        return v;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new PullException(
        Reason.UPSTREAM, "the Hub sent an invalid " + what + " (" + printable(text) + ")");
  }

  /** At most 80 characters of {@code s}, control characters escaped, for error messages. */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    s.chars()
        .limit(80)
        .forEach(
            c ->
                sb.append(
                    c < 0x20 || c == 0x7f
                        ? String.format("\\u%04x", c)
                        : String.valueOf((char) c)));
    return s.length() > 80 ? sb + "..." : sb.toString();
  }

  /**
   * The commit a branch, tag or commit id points at ({@code /api/models/{repo}/revision/{rev}}).
   */
  public String resolveCommit(String repo, String rev, PullCancellation cancellation) {
    HttpUrl url =
        endpoint
            .newBuilder()
            .addPathSegments("api/models")
            .addPathSegments(repo)
            .addPathSegment("revision")
            .addPathSegment(rev)
            .build();
    JsonNode node = getJson(url, repo, rev, null, cancellation);
    JsonNode sha = node.path("sha");
    if (!sha.isString() || sha.asString().isEmpty()) {
      throw new PullException(Reason.UPSTREAM, "the Hub sent no commit for " + repo + "@" + rev);
    }
    return commit(sha.asString(), repo);
  }

  /**
   * Every file of {@code repo} at {@code commit}, following the tree API's pagination (on the
   * endpoint's origin only, at most {@code maxTreePages} pages, observing {@code cancellation}
   * between and during pages).
   */
  public List<TreeFile> tree(String repo, String commit, PullCancellation cancellation) {
    List<TreeFile> files = new ArrayList<>();
    HttpUrl url =
        endpoint
            .newBuilder()
            .addPathSegments("api/models")
            .addPathSegments(repo)
            .addPathSegment("tree")
            .addPathSegment(commit)
            .addQueryParameter("recursive", "true")
            .build();
    int pages = 0;
    while (url != null) {
      if (cancellation.isCancelled()) {
        throw new PullException(Reason.CANCELLED, "listing the files of " + repo + " cancelled");
      }
      if (++pages > maxTreePages) {
        throw new PullException(
            Reason.UPSTREAM,
            "the Hub's file list of "
                + repo
                + "@"
                + commit
                + " has more than "
                + maxTreePages
                + " pages (endless pagination?); giving up");
      }
      HttpUrl[] next = new HttpUrl[1];
      JsonNode node = getJson(url, repo, commit, link -> next[0] = link, cancellation);
      if (!node.isArray()) {
        throw new PullException(
            Reason.UPSTREAM, "the Hub's file list of " + repo + " is not a JSON array");
      }
      for (JsonNode entry : node) {
        if (!"file".equals(entry.path("type").asString(""))) {
          continue;
        }
        JsonNode lfs = entry.path("lfs");
        String path = entry.path("path").asString("");
        if (lfs.isObject()) {
          files.add(
              new TreeFile(
                  path,
                  jsonSize(lfs.path("size"), repo, path),
                  normaliseSha(lfs.path("oid").asString(""))));
        } else {
          files.add(new TreeFile(path, jsonSize(entry.path("size"), repo, path), null));
        }
      }
      url = next[0];
    }
    return files;
  }

  /** A size from the tree JSON: -1 when absent, UPSTREAM when not a non-negative long. */
  private static long jsonSize(JsonNode node, String repo, String path) {
    if (node.isMissingNode() || node.isNull()) {
      return -1;
    }
    if (node.isIntegralNumber() && node.canConvertToLong() && node.longValue() >= 0) {
      return node.longValue();
    }
    throw new PullException(
        Reason.UPSTREAM,
        "the Hub sent an invalid size for "
            + repo
            + "/"
            + printable(path)
            + " ("
            + printable(node.toString())
            + ")");
  }

  private JsonNode getJson(
      HttpUrl url,
      String repo,
      String rev,
      @Nullable Consumer<HttpUrl> nextPage,
      PullCancellation cancellation) {
    return withRetry(
        "GET " + url.encodedPath(),
        cancellation::isCancelled,
        () -> {
          try (Response r = endpointFollowing(url, false, cancellation)) {
            if (!r.isSuccessful()) {
              throw failure(r, repo, rev, null);
            }
            if (nextPage != null) {
              for (String link : r.headers("Link")) {
                Matcher m = NEXT_LINK.matcher(link);
                if (m.find()) {
                  nextPage.accept(nextPage(url, m.group(1), repo));
                }
              }
            }
            long declared = r.body().contentLength();
            if (declared > maxMetadataBytes) {
              throw tooLarge(url, declared + " bytes declared");
            }
            try (InputStream in = new Capped(r.body().byteStream(), maxMetadataBytes, url)) {
              return Json.lenientReader().readTree(in);
            } catch (tools.jackson.core.JacksonException e) {
              if (e.getCause() instanceof Cancelled c) {
                throw c;
              }
              if (e.getCause() instanceof IOException io && retryable(io)) {
                throw io;
              }
              throw new PullException(
                  Reason.UPSTREAM, "the Hub sent invalid JSON for " + url.encodedPath(), e);
            }
          }
        });
  }

  /** The next tree page: on the endpoint's origin only (the token must not follow elsewhere). */
  private HttpUrl nextPage(HttpUrl current, String link, String repo) {
    HttpUrl next = current.resolve(link);
    if (next == null) {
      throw new PullException(
          Reason.UPSTREAM,
          "the Hub sent an invalid pagination link for " + repo + " (" + printable(link) + ")");
    }
    if (!atEndpoint(next)) {
      throw new PullException(
          Reason.UPSTREAM,
          "the Hub's pagination for "
              + repo
              + " points to another host ("
              + next.scheme()
              + "://"
              + next.host()
              + ":"
              + next.port()
              + "); refused: the Hub's API is only called at "
              + endpoint);
    }
    return next;
  }

  private PullException tooLarge(HttpUrl url, String size) {
    return new PullException(
        Reason.UPSTREAM,
        "the Hub's answer to "
            + url.encodedPath()
            + " is larger than the "
            + maxMetadataBytes
            + "-byte cap for metadata ("
            + size
            + "); refused");
  }

  /** Reads at most {@code cap} bytes; one more fails with UPSTREAM instead of buffering on. */
  private final class Capped extends FilterInputStream {
    private final long cap;
    private final HttpUrl url;
    private long read;

    Capped(InputStream in, long cap, HttpUrl url) {
      super(in);
      this.cap = cap;
      this.url = url;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, (int) Math.min(len, cap - read + 1));
      if (n > 0) {
        count(n);
      }
      return n;
    }

    private void count(int n) {
      read += n;
      if (read > cap) {
        throw tooLarge(url, "more than " + cap + " bytes sent");
      }
    }
  }

  /**
   * Opens the download of {@code path} at {@code commit}: GET of the Hub's resolve URL, following
   * its redirects by hand (so the signed CDN URL is fresh on every attempt and the token never
   * leaves the Hub's host). The caller closes the response; a non-2xx answer is thrown.
   *
   * @param calls receives each call so the caller can cancel it
   */
  public Response openDownload(
      String repo,
      String commit,
      String path,
      long from,
      long to,
      PullCancellation cancellation,
      Consumer<Call> calls)
      throws IOException {
    HttpUrl url = resolveUrl(repo, commit, path);
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      Request.Builder rb =
          BodySocket.attach(
              new Request.Builder()
                  .url(url)
                  .header("Accept-Encoding", "identity")
                  .header("Range", "bytes=" + from + "-" + to));
      Response r = execute(authorized(rb).build(), cancellation, calls);
      if (r.isRedirect()) {
        String location = r.header("Location");
        r.close();
        if (location == null) {
          throw new TransientHttpException(
              r.code(), "redirect without a Location from " + url.host(), null);
        }
        HttpUrl next = url.resolve(location);
        if (next == null) {
          int colon = location.indexOf(':');
          String scheme = colon > 0 ? location.substring(0, colon) : "?";
          throw new PullException(
              Reason.UPSTREAM,
              "the download of "
                  + repo
                  + "/"
                  + path
                  + " was redirected by "
                  + url.host()
                  + " to an unsupported URL (scheme '"
                  + printable(scheme)
                  + "'; only http and https are followed)");
        }
        url = next;
        continue;
      }
      if (r.code() == 200 || r.code() == 206) {
        return r;
      }
      try (r) {
        if (r.code() == 416) {
          throw new StartOverException("the server refused range " + from + "-" + to + " (416)");
        }
        throw failure(r, repo, commit, path);
      }
    }
    throw new TransientHttpException(310, "too many redirects for " + repo + "/" + path, null);
  }

  /** Adds the token when the request goes to the endpoint's origin, and only then. */
  private Request.Builder authorized(Request.Builder builder) {
    if (token != null && atEndpoint(builder.build().url())) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder;
  }

  private HttpUrl resolveUrl(String repo, String rev, String path) {
    return endpoint
        .newBuilder()
        .addPathSegments(repo)
        .addPathSegment("resolve")
        .addPathSegment(rev)
        .addPathSegments(path)
        .build();
  }

  /** Maps a failed answer: a PullException (permanent) or a TransientHttpException (retried). */
  private Exception failureOf(Response r, String repo, String rev, @Nullable String path) {
    String code = r.header("X-Error-Code");
    String message = r.header("X-Error-Message");
    int status = r.code();
    String what = path == null ? repo : repo + "/" + path;
    if ("GatedRepo".equals(code)) {
      return new PullException(
          Reason.GATED,
          "repository "
              + repo
              + " is gated: accept its terms at "
              + endpoint.resolve(repo)
              + " and set HF_TOKEN to a token with access");
    }
    if ("RepoNotFound".equals(code)) {
      return new PullException(
          Reason.NOT_FOUND,
          "repository "
              + repo
              + " not found or private: check the name, or set a token (HF_TOKEN)");
    }
    if ("RevisionNotFound".equals(code)) {
      return new PullException(Reason.NOT_FOUND, "revision '" + rev + "' not found in " + repo);
    }
    if ("EntryNotFound".equals(code)) {
      return new PullException(
          Reason.NOT_FOUND,
          "file " + (path == null ? "" : path) + " not found in " + repo + " at " + rev);
    }
    if (status == 401) {
      if (message != null && message.toLowerCase(Locale.ROOT).contains("invalid credentials")) {
        return new PullException(Reason.FORBIDDEN, "the Hub rejected the token (401): " + message);
      }
      return new PullException(
          Reason.NOT_FOUND,
          "repository " + repo + " not found or private: set HF_TOKEN (401 from the Hub)");
    }
    if (status == 403) {
      return new PullException(
          Reason.FORBIDDEN,
          "the Hub refused access to "
              + what
              + " (403)"
              + (message == null ? "" : ": " + message)
              + "; check that the token has the right permissions");
    }
    if (status == 404) {
      return new PullException(Reason.NOT_FOUND, what + " not found at " + rev + " (404)");
    }
    if (status == 429) {
      return new TransientHttpException(
          429, "rate limited by the Hub (429)", retryAfter(r.header("Retry-After")));
    }
    if (status == 408 || status >= 500) {
      return new TransientHttpException(
          status, "HTTP " + status + " for " + what, retryAfter(r.header("Retry-After")));
    }
    return new PullException(Reason.UPSTREAM, "unexpected HTTP " + status + " for " + what);
  }

  private IOException failure(Response r, String repo, String rev, @Nullable String path) {
    Exception e = failureOf(r, repo, rev, path);
    if (e instanceof PullException p) {
      throw p;
    }
    return (IOException) e;
  }

  static @Nullable Duration retryAfter(@Nullable String header) {
    if (header == null) {
      return null;
    }
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(header.trim())));
    } catch (NumberFormatException e) {
      try {
        java.time.ZonedDateTime at =
            java.time.ZonedDateTime.parse(
                header.trim(), java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(java.time.ZonedDateTime.now(at.getZone()), at);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (java.time.format.DateTimeParseException ignored) {
        return null;
      }
    }
  }

  /**
   * The sha256 in an {@code X-Linked-Etag} ({@code "hex"} or {@code W/"hex"}), or null if it is not
   * one.
   */
  static @Nullable String sha256FromEtag(@Nullable String etag) {
    if (etag == null) {
      return null;
    }
    String e = etag.trim();
    if (e.startsWith("W/")) {
      e = e.substring(2);
    }
    return normaliseSha(e.replace("\"", ""));
  }

  private static @Nullable String normaliseSha(@Nullable String s) {
    if (s == null) {
      return null;
    }
    String lower = s.trim().toLowerCase(Locale.ROOT);
    if (lower.startsWith("sha256:")) {
      lower = lower.substring(7);
    }
    return lower.matches("[0-9a-f]{64}") ? lower : null;
  }

  /** A call cancelled by the pull's {@link PullCancellation}: never retried. */
  static final class Cancelled extends InterruptedIOException {
    Cancelled() {
      super("cancelled");
    }
  }

  /** DNS knows no such host: never retried, and the message names the host. */
  static final class HostNotFound extends UnknownHostException {
    final String host;

    HostNotFound(String host, UnknownHostException cause) {
      super(host);
      this.host = host;
      initCause(cause);
    }
  }
}
