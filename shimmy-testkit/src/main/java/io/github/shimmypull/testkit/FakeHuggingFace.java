package io.github.shimmypull.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.HttpUrl;
import okio.BufferedSink;
import org.jspecify.annotations.Nullable;

/**
 * A faithful fake of the Hugging Face Hub download protocol, as a MockWebServer {@link Dispatcher}:
 *
 * <ul>
 *   <li>{@code HEAD|GET /{repo}/resolve/{rev}/{path}} answers 302 to a CDN URL on another host
 *       name, with {@code X-Repo-Commit}, {@code X-Linked-Etag} (quoted sha256) and {@code
 *       X-Linked-Size};
 *   <li>{@code GET /cdn/{sha256}?...} serves the bytes, honouring {@code Range} (206 with {@code
 *       Content-Range}, 416 past the end);
 *   <li>{@code /api/models/{repo}/tree/{rev}?recursive=true} (entries with {@code lfs} oid/size,
 *       paginated with {@code Link: rel="next"}), {@code /api/models/{repo}/revision/{rev}} and
 *       {@code /api/models/{repo}/refs};
 *   <li>errors with {@code X-Error-Code}: {@code RepoNotFound} (401 without a token, as the Hub
 *       does for private repos too), {@code GatedRepo}, {@code EntryNotFound}, {@code
 *       RevisionNotFound}.
 * </ul>
 *
 * <p>The CDN host is, by default, the same server under its other loopback name ({@code 127.0.0.1}
 * when the Hub was called as {@code localhost} and vice versa), so a test can check that the token
 * reaches the Hub but not the CDN. Repos have commits; {@link #commit} moves {@code main} while a
 * pull runs. {@link #inject} scripts faults for the next requests of a file, and {@link
 * #requests()} records every request.
 *
 * <p>A hostile Hub, for hardening tests: {@link Builder#treeNextLinkHost} (pagination to another
 * host), {@link Builder#endlessTree} (a {@code Link: rel=next} on every page), {@link
 * Builder#treeBodyBytes} (a huge, streamed tree page), {@link Builder#metadataDelay} (slow API
 * answers), {@link Builder#commitIdOverride} (a bad commit id) and the faults {@link
 * HubFault#redirectTo} and {@link HubFault#contentRange}.
 *
 * <pre>{@code
 * MockWebServer server = new MockWebServer();
 * FakeHuggingFace hub = FakeHuggingFace.builder()
 *     .file("acme/tiny-GGUF", "tiny-Q4_K_M.gguf", FakeFile.seeded(1 << 20, 42))
 *     .build();
 * server.setDispatcher(hub);
 * server.start(InetAddress.getByName("127.0.0.1"), 0);
 * String endpoint = server.url("/").toString();
 * }</pre>
 */
public final class FakeHuggingFace extends Dispatcher {

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

  private final Map<String, Repo> repos = new ConcurrentHashMap<>();
  private final Map<String, FakeFile> filesBySha = new ConcurrentHashMap<>();
  private final Map<String, Deque<HubFault>> faults = new ConcurrentHashMap<>();
  private final Map<String, String> renamed;
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private final @Nullable String token;
  private final boolean requireToken;
  private final @Nullable HttpUrl cdnBaseUrl;
  private final int treePageSize;
  private final Duration maxStall;
  private final @Nullable String treeNextLinkHost;
  private final boolean endlessTree;
  private final long treeBodyBytes;
  private final Duration metadataDelay;
  private final @Nullable String commitIdOverride;
  private final long cdnBytesPerSecond;
  private volatile boolean closed;

  /** Opens on {@link #close()}: releases stalled responses at once instead of polling a flag. */
  private final CountDownLatch closing = new CountDownLatch(1);

  private int commitCounter;

  private FakeHuggingFace(Builder b) {
    this.token = b.token;
    this.requireToken = b.requireToken;
    this.cdnBaseUrl = b.cdnBaseUrl;
    this.treePageSize = b.treePageSize;
    this.maxStall = b.maxStall;
    this.treeNextLinkHost = b.treeNextLinkHost;
    this.endlessTree = b.endlessTree;
    this.treeBodyBytes = b.treeBodyBytes;
    this.metadataDelay = b.metadataDelay;
    this.commitIdOverride = b.commitIdOverride;
    this.cdnBytesPerSecond = b.cdnBytesPerSecond;
    this.renamed = Map.copyOf(b.renamed);
    for (Map.Entry<String, Map<String, FakeFile>> e : b.files.entrySet()) {
      Repo repo = repoFor(e.getKey());
      commit(e.getKey(), e.getValue());
      repo.gated = b.gated.contains(e.getKey());
      repo.privateRepo = b.privateRepos.contains(e.getKey());
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Makes a new commit on {@code main} of {@code repo} whose files are the previous commit's plus
   * {@code files} (same path replaces). Creates the repo if needed.
   *
   * @return the new commit id (40 hex)
   */
  public synchronized String commit(String repo, Map<String, FakeFile> files) {
    Repo r = repoFor(repo);
    Map<String, FakeFile> tree = new TreeMap<>();
    String parent = r.branches.get("main");
    if (parent != null) {
      tree.putAll(r.commits.get(parent));
    }
    tree.putAll(files);
    files.values().forEach(f -> filesBySha.put(f.sha256(), f));
    String id = commitId(repo + "#" + (++commitCounter));
    r.commits.put(id, tree);
    r.branches.put("main", id);
    return id;
  }

  /** Points tag {@code name} of {@code repo} at {@code commit}. */
  public synchronized void tag(String repo, String name, String commit) {
    Repo r = Objects.requireNonNull(repos.get(repo), repo);
    if (!r.commits.containsKey(commit)) {
      throw new IllegalArgumentException("no commit " + commit + " in " + repo);
    }
    r.tags.put(name, commit);
  }

  /** The commit {@code main} of {@code repo} points at. */
  public synchronized String head(String repo) {
    return Objects.requireNonNull(
        Objects.requireNonNull(repos.get(repo), repo).branches.get("main"),
        repo + " has no commit");
  }

  /** The sha256 the Hub reports for {@code path} at {@code main}. */
  public synchronized String sha256(String repo, String path) {
    return fileAt(repo, head(repo), path).sha256();
  }

  /** The content of {@code path} at {@code main}. */
  public synchronized FakeFile file(String repo, String path) {
    return fileAt(repo, head(repo), path);
  }

  /**
   * Injects {@code fault} into the next {@code times} downloads of {@code path} in {@code repo}.
   */
  public void inject(String repo, String path, HubFault fault, int times) {
    Deque<HubFault> queue = faults.computeIfAbsent(repo + "/" + path, k -> new ArrayDeque<>());
    synchronized (queue) {
      for (int i = 0; i < times; i++) {
        queue.add(fault);
      }
    }
  }

  /** Every request received so far, in order. */
  public List<RecordedRequest> requests() {
    return List.copyOf(requests);
  }

  /** The requests received so far that match {@code filter}. */
  public List<RecordedRequest> requests(Predicate<RecordedRequest> filter) {
    return requests.stream().filter(filter).toList();
  }

  /** The CDN GETs of file bodies received so far (each is one download attempt or part). */
  public List<RecordedRequest> cdnDownloads() {
    return requests(
        r -> r.getMethod().equals("GET") && r.getUrl().encodedPath().startsWith("/cdn/"));
  }

  public void clearRequests() {
    requests.clear();
  }

  /** Releases stalled responses; called by MockWebServer when it closes. */
  @Override
  public void close() {
    closed = true;
    closing.countDown();
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    MockResponse response = route(request);
    if (request.getMethod().equals("HEAD") && response.getBody() != null) {
      // A HEAD answer has headers only; body bytes would be read as the next response's status
      // line.
      return new MockResponse.Builder()
          .code(response.getCode())
          .headers(response.getHeaders())
          .build();
    }
    return response;
  }

  private MockResponse route(RecordedRequest request) {
    requests.add(request);
    List<String> s = request.getUrl().pathSegments();
    MockResponse moved = renamedRedirect(request, s);
    if (moved != null) {
      return moved;
    }
    if (commitIdOverride != null
        && s.size() >= 4
        && !s.get(0).equals("api")
        && !s.get(0).equals("cdn")) {
      // URLs built from the bad commit id: answer as the real commit so only the id itself is
      // wrong.
      String head =
          repos.containsKey(s.get(0) + "/" + s.get(1)) ? head(s.get(0) + "/" + s.get(1)) : null;
      if (head != null && s.get(3).equals(commitIdOverride)) {
        s = new ArrayList<>(s);
        s.set(3, head);
      }
    }
    try {
      if (s.size() >= 2 && s.get(0).equals("cdn")) {
        return cdn(request, s.get(1));
      }
      if (s.size() >= 5 && s.get(0).equals("api") && s.get(1).equals("models")) {
        return api(request, s.get(2) + "/" + s.get(3), s.subList(4, s.size()));
      }
      if (s.size() >= 5 && s.get(2).equals("resolve")) {
        return resolve(
            request, s.get(0) + "/" + s.get(1), s.get(3), String.join("/", s.subList(4, s.size())));
      }
    } catch (HubError e) {
      return e.response;
    }
    return error(404, "EntryNotFound", "not found: " + request.getUrl().encodedPath());
  }

  /** A 307 to the new name, relative as the Hub sends it, when the request names a renamed repo. */
  private @Nullable MockResponse renamedRedirect(RecordedRequest request, List<String> s) {
    int at = s.size() >= 4 && s.get(0).equals("api") ? 2 : 0;
    if (s.size() < at + 2) {
      return null;
    }
    String newName = renamed.get(s.get(at) + "/" + s.get(at + 1));
    if (newName == null) {
      return null;
    }
    String path = request.getUrl().encodedPath();
    String oldPrefix = (at == 2 ? "/api/models/" : "/") + s.get(at) + "/" + s.get(at + 1);
    String query = request.getUrl().encodedQuery();
    String location =
        (at == 2 ? "/api/models/" : "/")
            + newName
            + path.substring(oldPrefix.length())
            + (query == null ? "" : "?" + query);
    return new MockResponse.Builder().code(307).setHeader("Location", location).build();
  }

  private MockResponse resolve(RecordedRequest request, String repoId, String rev, String path) {
    Repo repo = access(request, repoId, true);
    String commit = commitOf(repo, rev);
    FakeFile file;
    synchronized (this) {
      file = treeAt(repo, commit).get(path);
    }
    if (file == null) {
      throw new HubError(error(404, "EntryNotFound", path + " does not exist at " + commit));
    }
    if (request.getMethod().equals("GET")) {
      HubFault fault = nextFault(repoId + "/" + path, true);
      if (fault != null && fault.kind() == HubFault.Kind.STATUS) {
        return new MockResponse.Builder()
            .code(fault.status())
            .body("injected " + fault.status())
            .build();
      }
      if (fault != null && fault.kind() == HubFault.Kind.REDIRECT) {
        return new MockResponse.Builder()
            .code(302)
            .setHeader("Location", fault.text())
            .setHeader("X-Repo-Commit", reported(commit))
            .build();
      }
      if (fault != null) {
        return new MockResponse.Builder()
            .code(429)
            .setHeader("Retry-After", fault.retryAfter().toSeconds())
            .body("rate limited")
            .build();
      }
    }
    HttpUrl base = cdnBaseUrl != null ? cdnBaseUrl : otherHost(request.getUrl());
    HttpUrl location =
        base.newBuilder()
            .addPathSegment("cdn")
            .addPathSegment(file.sha256())
            .addQueryParameter("repo", repoId)
            .addQueryParameter("path", path)
            .addQueryParameter("Expires", "9999999999")
            .addQueryParameter("Signature", "fake-signature")
            .build();
    return new MockResponse.Builder()
        .code(302)
        .setHeader("Location", location.toString())
        .setHeader("X-Repo-Commit", reported(commit))
        .setHeader("X-Linked-Etag", "\"" + file.sha256() + "\"")
        .setHeader("X-Linked-Size", file.size())
        .setHeader("ETag", "\"" + gitOid(path + commit) + "\"")
        .build();
  }

  private MockResponse cdn(RecordedRequest request, String sha) {
    if (request.getHeaders().get("Authorization") != null && cdnBaseUrl == null) {
      // The real CDN rejects requests carrying the Hub token next to a signed URL.
      return new MockResponse.Builder()
          .code(400)
          .body("Authorization not allowed with signed URL")
          .build();
    }
    FakeFile file = filesBySha.get(sha);
    if (file == null) {
      return new MockResponse.Builder().code(404).body("no such object").build();
    }
    String key =
        request.getUrl().queryParameter("repo") + "/" + request.getUrl().queryParameter("path");
    HubFault fault = request.getMethod().equals("GET") ? nextFault(key, false) : null;
    long size = file.size();
    long from = 0;
    long to = size - 1;
    boolean partial = false;
    String range = request.getHeaders().get("Range");
    if (range != null && fault != null && fault.kind() == HubFault.Kind.REFUSE_RANGE) {
      return new MockResponse.Builder()
          .code(416)
          .setHeader("Content-Range", "bytes */" + size)
          .build();
    }
    if (range != null && (fault == null || fault.kind() != HubFault.Kind.IGNORE_RANGE)) {
      Matcher m = RANGE.matcher(range.trim());
      if (m.matches()) {
        from = Long.parseLong(m.group(1));
        if (!m.group(2).isEmpty()) {
          to = Math.min(size - 1, Long.parseLong(m.group(2)));
        }
        if (from >= size || from > to) {
          return new MockResponse.Builder()
              .code(416)
              .setHeader("Content-Range", "bytes */" + size)
              .build();
        }
        partial = true;
      }
    }
    MockResponse.Builder response =
        new MockResponse.Builder()
            .code(partial ? 206 : 200)
            .setHeader("Accept-Ranges", "bytes")
            .setHeader("Content-Type", "application/octet-stream");
    if (partial) {
      response.setHeader("Content-Range", "bytes " + from + "-" + to + "/" + size);
    }
    if (fault != null && fault.kind() == HubFault.Kind.CONTENT_RANGE) {
      response.code(206).setHeader("Content-Range", fault.text());
    }
    if (request.getMethod().equals("HEAD")) {
      return response.setHeader("Content-Length", to - from + 1).build();
    }
    if (cdnBytesPerSecond > 0) {
      response.throttleBody(Math.max(1, cdnBytesPerSecond / 10), 100, TimeUnit.MILLISECONDS);
    }
    if (fault != null
        && (fault.kind() == HubFault.Kind.TRUNCATE || fault.kind() == HubFault.Kind.RESET)) {
      boolean reset = fault.kind() == HubFault.Kind.RESET;
      response.onResponseEnd(new SocketEffect.CloseSocket(true, reset, reset));
    }
    return response.body(new RangeBody(file, from, to, fault)).build();
  }

  private MockResponse api(RecordedRequest request, String repoId, List<String> rest) {
    Repo repo = access(request, repoId, false);
    String op = rest.get(0);
    if (op.equals("refs")) {
      return json(refsJson(repo));
    }
    if (rest.size() < 2) {
      throw new HubError(error(404, "EntryNotFound", "unknown API " + op));
    }
    String commit = commitOf(repo, rest.get(1));
    Map<String, FakeFile> tree;
    synchronized (this) {
      tree = treeAt(repo, commit);
    }
    if (op.equals("revision")) {
      StringBuilder sb =
          new StringBuilder("{\"id\":")
              .append(quote(repoId))
              .append(",\"sha\":")
              .append(quote(reported(commit)));
      sb.append(",\"siblings\":[");
      String sep = "";
      for (String path : tree.keySet()) {
        sb.append(sep).append("{\"rfilename\":").append(quote(path)).append('}');
        sep = ",";
      }
      return json(sb.append("]}").toString());
    }
    if (op.equals("tree")) {
      String prefix = rest.size() > 2 ? String.join("/", rest.subList(2, rest.size())) + "/" : "";
      boolean recursive = "true".equalsIgnoreCase(request.getUrl().queryParameter("recursive"));
      List<String> entries = treeEntries(tree, prefix, recursive);
      String cursor = request.getUrl().queryParameter("cursor");
      int start = cursor == null ? 0 : Integer.parseInt(cursor);
      int from = Math.min(entries.size(), start);
      int end = Math.min(entries.size(), start + treePageSize);
      MockResponse.Builder response =
          new MockResponse.Builder()
              .code(200)
              .setHeader("Content-Type", "application/json")
              .headersDelay(metadataDelay.toMillis(), TimeUnit.MILLISECONDS);
      if (treeBodyBytes > 0) {
        response.body(new HugeJsonArray(treeBodyBytes));
      } else {
        response.body("[" + String.join(",", entries.subList(from, end)) + "]");
      }
      if (end < entries.size() || endlessTree) {
        HttpUrl.Builder next =
            request
                .getUrl()
                .newBuilder()
                .setQueryParameter("cursor", Integer.toString(start + treePageSize));
        if (treeNextLinkHost != null) {
          next.host(treeNextLinkHost);
        }
        response.setHeader("Link", "<" + next.build() + ">; rel=\"next\"");
      }
      return response.build();
    }
    throw new HubError(error(404, "EntryNotFound", "unknown API " + op));
  }

  private List<String> treeEntries(Map<String, FakeFile> tree, String prefix, boolean recursive) {
    TreeSet<String> dirs = new TreeSet<>();
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, FakeFile> e : tree.entrySet()) {
      String path = e.getKey();
      if (!path.startsWith(prefix)) {
        continue;
      }
      String below = path.substring(prefix.length());
      int slash = below.indexOf('/');
      if (slash >= 0) {
        String dir = prefix + below.substring(0, slash);
        if (recursive) {
          String[] parts = below.split("/");
          String acc = prefix;
          for (int i = 0; i < parts.length - 1; i++) {
            acc = acc + parts[i];
            dirs.add(acc);
            acc = acc + "/";
          }
        } else {
          dirs.add(dir);
          continue;
        }
      }
      FakeFile f = e.getValue();
      out.add(
          "{\"type\":\"file\",\"oid\":"
              + quote(gitOid(path + f.sha256()))
              + ",\"size\":"
              + f.size()
              + ",\"lfs\":{\"oid\":"
              + quote(f.sha256())
              + ",\"size\":"
              + f.size()
              + ",\"pointerSize\":135},\"path\":"
              + quote(path)
              + "}");
    }
    List<String> result = new ArrayList<>();
    for (String dir : dirs) {
      result.add(
          "{\"type\":\"directory\",\"oid\":"
              + quote(gitOid(dir))
              + ",\"size\":0,\"path\":"
              + quote(dir)
              + "}");
    }
    result.addAll(out);
    return result;
  }

  private String refsJson(Repo repo) {
    StringBuilder sb = new StringBuilder("{\"branches\":[");
    appendRefs(sb, repo.branches, "refs/heads/");
    sb.append("],\"converts\":[],\"tags\":[");
    appendRefs(sb, repo.tags, "refs/tags/");
    return sb.append("]}").toString();
  }

  private static void appendRefs(StringBuilder sb, Map<String, String> refs, String prefix) {
    String sep = "";
    for (Map.Entry<String, String> e : refs.entrySet()) {
      sb.append(sep)
          .append("{\"name\":")
          .append(quote(e.getKey()))
          .append(",\"ref\":")
          .append(quote(prefix + e.getKey()))
          .append(",\"targetCommit\":")
          .append(quote(e.getValue()))
          .append('}');
      sep = ",";
    }
  }

  /** The commit id the fake reports: the real one, or the override of a hostile Hub. */
  private String reported(String commit) {
    return commitIdOverride != null ? commitIdOverride : commit;
  }

  private Repo access(RecordedRequest request, String repoId, boolean content) {
    String auth = request.getHeaders().get("Authorization");
    boolean authenticated = token != null && ("Bearer " + token).equals(auth);
    if (auth != null && !authenticated) {
      throw new HubError(error(401, null, "Invalid credentials in Authorization header"));
    }
    if (requireToken && !authenticated) {
      throw new HubError(error(401, "RepoNotFound", "Repository not found"));
    }
    Repo repo = repos.get(repoId);
    if (repo == null || (repo.privateRepo && !authenticated)) {
      throw new HubError(error(authenticated ? 404 : 401, "RepoNotFound", "Repository not found"));
    }
    if (content && repo.gated && !authenticated) {
      throw new HubError(
          error(
              auth == null ? 401 : 403,
              "GatedRepo",
              "Access to model " + repoId + " is restricted."));
    }
    return repo;
  }

  private synchronized String commitOf(Repo repo, String rev) {
    String commit = repo.branches.get(rev);
    if (commit == null) {
      commit = repo.tags.get(rev);
    }
    if (commit == null && repo.commits.containsKey(rev)) {
      commit = rev;
    }
    if (commit == null) {
      throw new HubError(error(404, "RevisionNotFound", "Invalid rev id: " + rev));
    }
    return commit;
  }

  private synchronized FakeFile fileAt(String repo, String commit, String path) {
    return Objects.requireNonNull(
        treeAt(Objects.requireNonNull(repos.get(repo), repo), commit).get(path), path);
  }

  /** The files of {@code commit}, which {@link #commitOf} resolved in {@code repo}. */
  private synchronized Map<String, FakeFile> treeAt(Repo repo, String commit) {
    return Objects.requireNonNull(repo.commits.get(commit), commit);
  }

  private @Nullable HubFault nextFault(String key, boolean atResolve) {
    Deque<HubFault> queue = faults.get(key);
    if (queue == null) {
      return null;
    }
    synchronized (queue) {
      HubFault head = queue.peek();
      if (head != null && head.atResolve() == atResolve) {
        return queue.poll();
      }
      return null;
    }
  }

  private Repo repoFor(String repoId) {
    return repos.computeIfAbsent(repoId, k -> new Repo());
  }

  private static HttpUrl otherHost(HttpUrl url) {
    String host = url.host().equals("localhost") ? "127.0.0.1" : "localhost";
    return url.newBuilder().host(host).encodedPath("/").query(null).build();
  }

  private static MockResponse json(String body) {
    return new MockResponse.Builder()
        .code(200)
        .setHeader("Content-Type", "application/json")
        .body(body)
        .build();
  }

  private static MockResponse error(int code, @Nullable String errorCode, String message) {
    MockResponse.Builder b =
        new MockResponse.Builder()
            .code(code)
            .setHeader("Content-Type", "application/json")
            .setHeader("X-Error-Message", message)
            .body("{\"error\":" + quote(message) + "}");
    if (errorCode != null) {
      b.setHeader("X-Error-Code", errorCode);
    }
    return b.build();
  }

  private static String commitId(String seed) {
    return gitOid("commit:" + seed);
  }

  private static String gitOid(String seed) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(md.digest(seed.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  private final class RangeBody implements MockResponseBody {
    private final FakeFile file;
    private final long from;
    private final long to;
    private final @Nullable HubFault fault;

    RangeBody(FakeFile file, long from, long to, @Nullable HubFault fault) {
      this.file = file;
      this.from = from;
      this.to = to;
      this.fault = fault;
    }

    @Override
    public long getContentLength() {
      return to - from + 1;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      long length = to - from + 1;
      long limit = length;
      HubFault.Kind kind = fault == null ? null : fault.kind();
      if (fault != null
          && (kind == HubFault.Kind.RESET
              || kind == HubFault.Kind.STALL
              || kind == HubFault.Kind.TRUNCATE)) {
        limit = Math.min(length, fault.bytes());
      }
      long corruptAt = kind == HubFault.Kind.CORRUPT ? length / 2 : -1;
      byte[] buf = new byte[64 * 1024];
      long written = 0;
      while (written < limit) {
        int n = (int) Math.min(buf.length, limit - written);
        file.read(from + written, buf, 0, n);
        if (corruptAt >= written && corruptAt < written + n) {
          buf[(int) (corruptAt - written)] ^= 0x5a;
        }
        sink.write(buf, 0, n);
        written += n;
      }
      sink.flush();
      if (kind == HubFault.Kind.STALL) {
        try {
          closing.await(maxStall.toNanos(), TimeUnit.NANOSECONDS); // held until closed or maxStall
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new IOException("injected stall ended after " + written + " bytes");
      }
    }
  }

  /**
   * A valid JSON array of file entries of about {@code size} bytes, streamed (chunked, no length).
   */
  private final class HugeJsonArray implements MockResponseBody {
    private final long size;

    HugeJsonArray(long size) {
      this.size = size;
    }

    @Override
    public long getContentLength() {
      return -1;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      byte[] entry =
          ("{\"type\":\"file\",\"size\":1,\"path\":\"padding-" + "x".repeat(900) + ".bin\"}")
              .getBytes(StandardCharsets.UTF_8);
      sink.writeUtf8("[");
      long written = 1;
      String sep = "";
      while (written < size && !closed) {
        sink.writeUtf8(sep);
        sink.write(entry);
        written += entry.length + sep.length();
        sep = ",";
      }
      sink.writeUtf8("]");
      sink.flush();
    }
  }

  private static final class Repo {
    final Map<String, Map<String, FakeFile>> commits = new LinkedHashMap<>();
    final Map<String, String> branches = new TreeMap<>();
    final Map<String, String> tags = new TreeMap<>();
    volatile boolean gated;
    volatile boolean privateRepo;
  }

  private static final class HubError extends RuntimeException {
    final MockResponse response;

    HubError(MockResponse response) {
      super(null, null, false, false);
      this.response = response;
    }
  }

  /**
   * Builder of a {@link FakeHuggingFace}; repos get one commit on {@code main} with their files.
   */
  public static final class Builder {
    private final Map<String, Map<String, FakeFile>> files = new LinkedHashMap<>();
    private final java.util.Set<String> gated = new java.util.HashSet<>();
    private final java.util.Set<String> privateRepos = new java.util.HashSet<>();
    private final Map<String, String> renamed = new LinkedHashMap<>();
    private @Nullable String token;
    private boolean requireToken;
    private @Nullable HttpUrl cdnBaseUrl;
    private int treePageSize = 1000;
    private Duration maxStall = Duration.ofSeconds(60);
    private @Nullable String treeNextLinkHost;
    private boolean endlessTree;
    private long treeBodyBytes;
    private Duration metadataDelay = Duration.ZERO;
    private @Nullable String commitIdOverride;
    private long cdnBytesPerSecond;

    private Builder() {}

    /** A slow CDN: file bodies are sent at about this rate (default unthrottled). */
    public Builder cdnBytesPerSecond(long cdnBytesPerSecond) {
      this.cdnBytesPerSecond = cdnBytesPerSecond;
      return this;
    }

    /**
     * Hostile: tree pagination links point at {@code host} (same port), e.g. the other loopback
     * name.
     */
    public Builder treeNextLinkHost(String host) {
      this.treeNextLinkHost = host;
      return this;
    }

    /** Hostile: every tree page, even an empty one past the end, links to a next page. */
    public Builder endlessTree(boolean endlessTree) {
      this.endlessTree = endlessTree;
      return this;
    }

    /**
     * Hostile: every tree page is a valid JSON array of about this many bytes, streamed (chunked).
     */
    public Builder treeBodyBytes(long treeBodyBytes) {
      this.treeBodyBytes = treeBodyBytes;
      return this;
    }

    /** Slow Hub: tree pages answer their headers after this delay (default none). */
    public Builder metadataDelay(Duration metadataDelay) {
      this.metadataDelay = metadataDelay;
      return this;
    }

    /**
     * Hostile: the revision API and {@code X-Repo-Commit} report this commit id instead of the real
     * one.
     */
    public Builder commitIdOverride(String commitIdOverride) {
      this.commitIdOverride = commitIdOverride;
      return this;
    }

    /** Adds {@code path} with {@code content} to the first commit of {@code repo}. */
    public Builder file(String repo, String path, FakeFile content) {
      files.computeIfAbsent(repo, k -> new TreeMap<>()).put(path, content);
      return this;
    }

    /** Declares {@code repo} with no files (yet). */
    public Builder repo(String repo) {
      files.computeIfAbsent(repo, k -> new TreeMap<>());
      return this;
    }

    /** The one token the fake accepts as {@code Authorization: Bearer <token>}. */
    public Builder token(String token) {
      this.token = token;
      return this;
    }

    /** Every request needs the token (401 {@code RepoNotFound} without it). */
    public Builder requireToken(boolean requireToken) {
      this.requireToken = requireToken;
      return this;
    }

    /** {@code repo}'s files need the token: 401/403 with {@code X-Error-Code: GatedRepo}. */
    public Builder gated(String repo) {
      gated.add(repo);
      return this;
    }

    /** {@code repo} is invisible without the token: 401 with {@code X-Error-Code: RepoNotFound}. */
    public Builder privateRepo(String repo) {
      privateRepos.add(repo);
      return this;
    }

    /** {@code oldRepo} was renamed: its URLs answer 307 to the same path under {@code newRepo}. */
    public Builder renamed(String oldRepo, String newRepo) {
      renamed.put(oldRepo, newRepo);
      return this;
    }

    /**
     * Redirect downloads to this base URL (e.g. a second MockWebServer, or nginx for benchmarks).
     */
    public Builder cdnBaseUrl(HttpUrl cdnBaseUrl) {
      this.cdnBaseUrl = cdnBaseUrl;
      return this;
    }

    /** Entries per tree API page (default 1000, as the Hub). */
    public Builder treePageSize(int treePageSize) {
      this.treePageSize = treePageSize;
      return this;
    }

    /** How long a stalled body holds its connection at most (default 60 s). */
    public Builder maxStall(Duration maxStall) {
      this.maxStall = maxStall;
      return this;
    }

    public FakeHuggingFace build() {
      return new FakeHuggingFace(this);
    }
  }
}
