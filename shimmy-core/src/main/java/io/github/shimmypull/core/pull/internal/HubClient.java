package io.github.shimmypull.core.pull.internal;

import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.core.functions.CheckedSupplier;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.InputStream;
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
import tools.jackson.databind.json.JsonMapper;

/**
 * The Hugging Face Hub protocol: metadata HEAD, revision and tree APIs, and the download GET with
 * manual redirects (the token is dropped once a redirect leaves the Hub's host), {@code
 * X-Error-Code} mapping, and retries with exponential backoff and jitter for transient failures.
 */
public final class HubClient {

  private static final Logger log = LoggerFactory.getLogger(HubClient.class);
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  private static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(5);
  private static final int MAX_REDIRECTS = 10;

  private final OkHttpClient client;
  private final HttpUrl endpoint;
  private final @Nullable String token;
  private final RetryConfig retryConfig;
  private final @Nullable Counter retries;
  private final JsonMapper json = JsonMapper.builder().build();

  /** Metadata the Hub reports for one file at a revision. */
  public record FileInfo(String commit, @Nullable String sha256, long size) {}

  /** One file of a repo tree. */
  public record TreeFile(String path, long size, @Nullable String sha256) {}

  public HubClient(
      OkHttpClient client,
      HttpUrl endpoint,
      @Nullable String token,
      int maxAttempts,
      Duration initialBackoff,
      Duration maxBackoff,
      @Nullable Counter retries) {
    this.client = client;
    this.endpoint = endpoint;
    this.token = token;
    this.retries = retries;
    IntervalFunction backoff =
        IntervalFunction.ofExponentialRandomBackoff(
            Math.max(1, initialBackoff.toMillis()), 2.0, 0.5, Math.max(1, maxBackoff.toMillis()));
    IntervalBiFunction<Object> interval =
        (attempt, either) -> {
          if (either.isLeft() && either.getLeft() instanceof TransientHttpException t && t.retryAfter() != null) {
            Duration d = t.retryAfter();
            return Math.max(1, Math.min(d.toMillis(), MAX_RETRY_AFTER.toMillis()));
          }
          return backoff.apply(attempt);
        };
    this.retryConfig =
        RetryConfig.custom()
            .maxAttempts(Math.max(1, maxAttempts))
            .intervalBiFunction(interval)
            .retryOnException(t -> t instanceof IOException)
            .build();
  }

  public HttpUrl endpoint() {
    return endpoint;
  }

  /**
   * Runs {@code call} with the retry policy; IOExceptions are transient, everything else passes
   * through. Exhaustion becomes UPSTREAM (or RATE_LIMITED for 429).
   */
  public <T> T withRetry(String what, BooleanSupplier cancelled, CheckedSupplier<T> call) {
    Retry retry =
        Retry.of(
            what,
            RetryConfig.from(retryConfig)
                .retryOnException(t -> t instanceof IOException && !cancelled.getAsBoolean())
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
      if (cancelled.getAsBoolean()) {
        throw new PullException(Reason.CANCELLED, what + " cancelled", e);
      }
      throw new PullException(Reason.UPSTREAM, what + " failed after retries: " + e, e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** HEAD of {@code /{repo}/resolve/{rev}/{path}} without following the redirect. */
  public FileInfo head(String repo, String rev, String path) {
    HttpUrl url = resolveUrl(repo, rev, path);
    return withRetry(
        "HEAD " + repo + "/" + path + "@" + rev,
        () -> Thread.currentThread().isInterrupted(),
        () -> {
          Request request = authorized(new Request.Builder().url(url).head(), true).build();
          try (Response r = client.newCall(request).execute()) {
            if (!r.isSuccessful() && !r.isRedirect()) {
              throw failure(r, repo, rev, path);
            }
            String commit = r.header("X-Repo-Commit");
            if (commit == null) {
              throw new PullException(Reason.UPSTREAM, "the Hub sent no X-Repo-Commit for " + repo + "/" + path);
            }
            String etag = r.header("X-Linked-Etag");
            String sizeText = r.header("X-Linked-Size");
            if (sizeText == null && r.isSuccessful()) {
              sizeText = r.header("Content-Length");
            }
            long size = sizeText == null ? -1 : parseLong(sizeText);
            return new FileInfo(commit.trim(), sha256FromEtag(etag), size);
          }
        });
  }

  /** The commit a branch, tag or commit id points at ({@code /api/models/{repo}/revision/{rev}}). */
  public String resolveCommit(String repo, String rev) {
    HttpUrl url = endpoint.newBuilder().addPathSegments("api/models").addPathSegments(repo)
        .addPathSegment("revision").addPathSegment(rev).build();
    JsonNode node = getJson(url, repo, rev, null);
    String sha = node.path("sha").asString();
    if (sha == null || sha.isEmpty()) {
      throw new PullException(Reason.UPSTREAM, "the Hub sent no commit for " + repo + "@" + rev);
    }
    return sha;
  }

  /** Every file of {@code repo} at {@code commit}, following the tree API's pagination. */
  public List<TreeFile> tree(String repo, String commit) {
    List<TreeFile> files = new ArrayList<>();
    HttpUrl url = endpoint.newBuilder().addPathSegments("api/models").addPathSegments(repo)
        .addPathSegment("tree").addPathSegment(commit).addQueryParameter("recursive", "true").build();
    int pages = 0;
    while (url != null && pages++ < 10_000) {
      HttpUrl[] next = new HttpUrl[1];
      JsonNode node = getJson(url, repo, commit, link -> next[0] = link);
      for (JsonNode entry : node) {
        if (!"file".equals(entry.path("type").asString())) {
          continue;
        }
        JsonNode lfs = entry.path("lfs");
        String path = entry.path("path").asString();
        if (lfs.isObject()) {
          files.add(new TreeFile(path, lfs.path("size").asLong(-1), normaliseSha(lfs.path("oid").asString())));
        } else {
          files.add(new TreeFile(path, entry.path("size").asLong(-1), null));
        }
      }
      url = next[0];
    }
    return files;
  }

  private JsonNode getJson(HttpUrl url, String repo, String rev, @Nullable Consumer<HttpUrl> nextPage) {
    return withRetry(
        "GET " + url.encodedPath(),
        () -> Thread.currentThread().isInterrupted(),
        () -> {
          Request request = authorized(new Request.Builder().url(url), true).build();
          try (Response r = client.newCall(request).execute()) {
            if (!r.isSuccessful()) {
              throw failure(r, repo, rev, null);
            }
            if (nextPage != null) {
              for (String link : r.headers("Link")) {
                Matcher m = NEXT_LINK.matcher(link);
                if (m.find()) {
                  nextPage.accept(url.resolve(m.group(1)));
                }
              }
            }
            try (InputStream in = r.body().byteStream()) {
              return json.readTree(in);
            } catch (tools.jackson.core.JacksonException e) {
              throw new PullException(Reason.UPSTREAM, "the Hub sent invalid JSON for " + url.encodedPath(), e);
            }
          }
        });
  }

  /**
   * Opens the download of {@code path} at {@code commit}: GET of the Hub's resolve URL, following
   * its redirects by hand (so the signed CDN URL is fresh on every attempt and the token never
   * leaves the Hub's host). The caller closes the response; a non-2xx answer is thrown.
   *
   * @param calls receives each call so the caller can cancel it
   */
  public Response openDownload(String repo, String commit, String path, long from, long to, Consumer<Call> calls)
      throws IOException {
    HttpUrl url = resolveUrl(repo, commit, path);
    boolean sameHost = true;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      Request.Builder rb = new Request.Builder().url(url)
          .header("Accept-Encoding", "identity")
          .header("Range", "bytes=" + from + "-" + to);
      Call call = client.newCall(authorized(rb, sameHost).build());
      calls.accept(call);
      Response r = call.execute();
      if (r.isRedirect()) {
        String location = r.header("Location");
        r.close();
        HttpUrl next = location == null ? null : url.resolve(location);
        if (next == null) {
          throw new TransientHttpException(r.code(), "redirect without a valid Location from " + url.host(), null);
        }
        if (!next.host().equalsIgnoreCase(url.host()) || next.port() != url.port()) {
          sameHost = false;
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

  private Request.Builder authorized(Request.Builder builder, boolean toHub) {
    if (token != null && toHub) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder;
  }

  private HttpUrl resolveUrl(String repo, String rev, String path) {
    return endpoint.newBuilder().addPathSegments(repo).addPathSegment("resolve").addPathSegment(rev)
        .addPathSegments(path).build();
  }

  /** Maps a failed answer: a PullException (permanent) or a TransientHttpException (retried). */
  private Exception failureOf(Response r, String repo, String rev, @Nullable String path) {
    String code = r.header("X-Error-Code");
    String message = r.header("X-Error-Message");
    int status = r.code();
    String what = path == null ? repo : repo + "/" + path;
    if ("GatedRepo".equals(code)) {
      return new PullException(Reason.GATED,
          "repository " + repo + " is gated: accept its terms at " + endpoint.resolve(repo) + " and set HF_TOKEN to a token with access");
    }
    if ("RepoNotFound".equals(code)) {
      return new PullException(Reason.NOT_FOUND,
          "repository " + repo + " not found or private: check the name, or set a token (HF_TOKEN)");
    }
    if ("RevisionNotFound".equals(code)) {
      return new PullException(Reason.NOT_FOUND, "revision '" + rev + "' not found in " + repo);
    }
    if ("EntryNotFound".equals(code)) {
      return new PullException(Reason.NOT_FOUND, "file " + (path == null ? "" : path) + " not found in " + repo + " at " + rev);
    }
    if (status == 401) {
      if (message != null && message.toLowerCase(Locale.ROOT).contains("invalid credentials")) {
        return new PullException(Reason.FORBIDDEN, "the Hub rejected the token (401): " + message);
      }
      return new PullException(Reason.NOT_FOUND,
          "repository " + repo + " not found or private: set HF_TOKEN (401 from the Hub)");
    }
    if (status == 403) {
      return new PullException(Reason.FORBIDDEN,
          "the Hub refused access to " + what + " (403)" + (message == null ? "" : ": " + message)
              + "; check that the token has the right permissions");
    }
    if (status == 404) {
      return new PullException(Reason.NOT_FOUND, what + " not found at " + rev + " (404)");
    }
    if (status == 429) {
      return new TransientHttpException(429, "rate limited by the Hub (429)", retryAfter(r.header("Retry-After")));
    }
    if (status == 408 || status >= 500) {
      return new TransientHttpException(status, "HTTP " + status + " for " + what, retryAfter(r.header("Retry-After")));
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
        java.time.ZonedDateTime at = java.time.ZonedDateTime.parse(header.trim(), java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(java.time.ZonedDateTime.now(at.getZone()), at);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (java.time.format.DateTimeParseException ignored) {
        return null;
      }
    }
  }

  /** The sha256 in an {@code X-Linked-Etag} ({@code "hex"} or {@code W/"hex"}), or null if it is not one. */
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

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
