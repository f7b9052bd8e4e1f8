package io.github.shimmypull.core.pull;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.ShimmyModelIds;
import io.github.shimmypull.core.pull.internal.BodySocket;
import io.github.shimmypull.core.pull.internal.DownloadSettings;
import io.github.shimmypull.core.pull.internal.FileDownload;
import io.github.shimmypull.core.pull.internal.HubClient;
import io.github.shimmypull.core.pull.internal.PinnedFile;
import io.github.shimmypull.core.pull.internal.PullStore;
import io.github.shimmypull.core.pull.internal.QuantSelector;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ModelPuller} for Hugging Face: resolves a reference to a pinned commit and files
 * (llama.cpp's quant-tag rules), checks what is already present, the size cap and free disk space,
 * then downloads with parallel ranged parts and resume, verifies size, sha256 and GGUF magic, and
 * publishes atomically into the model directory. Thread-safe; one instance per model directory.
 *
 * <pre>{@code
 * HuggingFacePuller puller = HuggingFacePuller.Builder.fromEnvironment()
 *     .modelDir(Path.of("models"))
 *     .build();
 * PullResult result = puller.pull(ModelRef.parse("bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"), false, System.out::println);
 * }</pre>
 */
public final class HuggingFacePuller implements ModelPuller {

  private static final Logger log = LoggerFactory.getLogger(HuggingFacePuller.class);

  /** Default Hub endpoint when neither {@code endpoint(...)} nor {@code HF_ENDPOINT} is set. */
  public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

  /** Default parallel connections per file: {@value}. */
  public static final int DEFAULT_PARTS = 4;

  /** Default size of one ranged part: 64 MiB (files up to this size use one connection). */
  public static final long DEFAULT_PART_SIZE = 64L * 1024 * 1024;

  /** Default stall timeout: a read that gets no byte for this long fails (and is retried). */
  public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(30);

  /** Default connect timeout. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(15);

  /** Default attempts per request or part, the first one included: {@value}. */
  public static final int DEFAULT_MAX_ATTEMPTS = 6;

  /** Default first backoff (doubling, with ±50% jitter). */
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(1);

  /** Default longest backoff. */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);

  /** Default free space kept on the model directory's file system: 1 GiB. */
  public static final long DEFAULT_DISK_RESERVE_BYTES = 1024L * 1024 * 1024;

  /** Default per-pull size cap: none ({@link Long#MAX_VALUE}). */
  public static final long DEFAULT_MAX_PULL_BYTES = Long.MAX_VALUE;

  /**
   * Default cap of one Hub metadata answer (revision, tree page): 16 MiB. A real tree page of 1000
   * entries is about 300 KiB; a larger answer fails with UPSTREAM (502) instead of filling the
   * heap.
   */
  public static final long DEFAULT_MAX_METADATA_BYTES = 16L * 1024 * 1024;

  /**
   * Default cap of tree API pages of one listing: {@value} (100,000 entries at the Hub's 1000 per
   * page).
   */
  public static final int DEFAULT_MAX_TREE_PAGES = 100;

  /**
   * Default bytes written between two background fsyncs of a partial download: 32 MiB, so the fsync
   * before publishing finds little left to write.
   */
  public static final long DEFAULT_SYNC_EVERY_BYTES = 32L * 1024 * 1024;

  /** Default interval between two progress events of a file. */
  public static final Duration DEFAULT_PROGRESS_INTERVAL = Duration.ofMillis(200);

  private final PullStore store;
  private final HubClient hub;
  private final DownloadSettings downloads;
  private final long diskReserveBytes;
  private final long maxPullBytes;
  private final Duration progressInterval;

  private HuggingFacePuller(Builder b) {
    this.store = new PullStore(Objects.requireNonNull(b.modelDir, "modelDir is required"));
    HttpUrl endpoint = HttpUrl.parse(b.endpoint.endsWith("/") ? b.endpoint : b.endpoint + "/");
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint is not an http(s) URL: " + b.endpoint);
    }
    OkHttpClient base = b.client != null ? b.client : new OkHttpClient();
    OkHttpClient client =
        base.newBuilder()
            .followRedirects(false)
            .followSslRedirects(false)
            .retryOnConnectionFailure(true)
            .connectTimeout(b.connectTimeout)
            .readTimeout(b.stallTimeout)
            .writeTimeout(b.stallTimeout)
            .callTimeout(Duration.ZERO)
            .addNetworkInterceptor(BodySocket.INTERCEPTOR)
            .build();
    Counter retries = null;
    Counter bytesCounter = null;
    Counter resumedCounter = null;
    Counter syncedCounter = null;
    if (b.meterRegistry != null) {
      bytesCounter =
          Counter.builder("shimmy.pull.bytes")
              .baseUnit("bytes")
              .description("bytes downloaded from the Hub")
              .register(b.meterRegistry);
      resumedCounter =
          Counter.builder("shimmy.pull.resumed.bytes")
              .baseUnit("bytes")
              .description("bytes of partial downloads reused by a resume")
              .register(b.meterRegistry);
      syncedCounter =
          Counter.builder("shimmy.pull.synced.bytes")
              .baseUnit("bytes")
              .description(
                  "bytes of partial downloads fsynced while downloading (progressive sync)")
              .register(b.meterRegistry);
      retries =
          Counter.builder("shimmy.pull.retries")
              .description("retried Hub requests and download parts")
              .register(b.meterRegistry);
    }
    String token = b.token == null || b.token.isBlank() ? null : b.token.trim();
    this.hub =
        new HubClient(
            client,
            endpoint,
            token,
            b.maxMetadataBytes,
            b.maxTreePages,
            b.maxAttempts,
            b.initialBackoff,
            b.maxBackoff,
            retries);
    this.downloads =
        new DownloadSettings(
            b.parts,
            b.partSize,
            b.progressInterval,
            b.syncEveryBytes,
            bytesCounter,
            resumedCounter,
            syncedCounter);
    this.diskReserveBytes = b.diskReserveBytes;
    this.maxPullBytes = b.maxPullBytes;
    this.progressInterval = b.progressInterval;
  }

  /**
   * A builder with every default; see {@link Builder#fromEnvironment()} for HF_TOKEN/HF_ENDPOINT.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The model directory files are published into. */
  public Path modelDir() {
    return store.modelDir();
  }

  @Override
  public PreparedPull prepare(ModelRef ref, boolean force) {
    return prepare(ref, force, PullListener.NONE);
  }

  @Override
  public PreparedPull prepare(ModelRef ref, boolean force, PullCancellation cancellation) {
    return prepare(ref, force, PullListener.NONE, cancellation);
  }

  /**
   * {@link #prepare(ModelRef, boolean)}, announcing {@link PullEvent.Resolving} to {@code
   * listener}.
   */
  public PreparedPull prepare(ModelRef ref, boolean force, PullListener listener) {
    return prepare(ref, force, listener, new PullCancellation());
  }

  /**
   * {@link #prepare(ModelRef, boolean, PullListener)} that {@code cancellation} stops: it is
   * checked between Hub requests and tree pages, and cancels the request in flight (CANCELLED).
   */
  public PreparedPull prepare(
      ModelRef ref, boolean force, PullListener listener, PullCancellation cancellation) {
    String rev = ref.revisionOrDefault();
    listener.onEvent(new PullEvent.Resolving(ref.repo(), rev));
    String commit;
    List<RemoteFile> files = new ArrayList<>();
    if (ref.file() != null) {
      HubClient.FileInfo info = hub.head(ref.repo(), rev, ref.file(), cancellation);
      commit = info.commit();
      List<String> wanted = List.of(ref.file());
      List<HubClient.TreeFile> tree = null;
      if (ShimmyModelIds.shard(ref.file()).isPresent()
          || info.sha256() == null
          || info.size() < 0) {
        tree = hub.tree(ref.repo(), commit, cancellation);
        List<String> paths = tree.stream().map(HubClient.TreeFile::path).toList();
        wanted = QuantSelector.withShards(ref.repo(), ref.file(), paths);
        wanted.forEach(path -> validateHubFile(ref.repo(), path));
      }
      for (String path : wanted) {
        if (tree == null) {
          // no tree only when the HEAD gave both sha256 and size for this single-file model
          files.add(new RemoteFile(path, info.size(), Objects.requireNonNull(info.sha256(), path)));
        } else {
          files.add(remoteFile(ref.repo(), commit, tree, path, cancellation));
        }
      }
    } else {
      commit = hub.resolveCommit(ref.repo(), rev, cancellation);
      List<HubClient.TreeFile> tree = hub.tree(ref.repo(), commit, cancellation);
      List<String> chosen =
          QuantSelector.select(
              ref.repo(), tree.stream().map(HubClient.TreeFile::path).toList(), ref.tag());
      chosen.forEach(path -> validateHubFile(ref.repo(), path));
      for (String path : chosen) {
        files.add(remoteFile(ref.repo(), commit, tree, path, cancellation));
      }
      hub.head(ref.repo(), commit, chosen.get(0), cancellation);
    }
    for (RemoteFile f : files) {
      ModelRefs.validateFile(f.path());
    }
    long total = files.stream().mapToLong(RemoteFile::size).sum();
    if (total > maxPullBytes) {
      throw new PullException(
          Reason.TOO_LARGE,
          ref + " is " + total + " bytes, more than the per-pull cap of " + maxPullBytes + " bytes",
          null,
          Map.of("size", total, "max", maxPullBytes));
    }
    long toDownload = 0;
    long toAllocate = 0;
    for (RemoteFile f : files) {
      if (force || !isPresent(f)) {
        toDownload += f.size() - store.resumableBytes(f.localName(), f.sha256(), f.size());
        toAllocate += f.size() - store.allocatedBytes(f.localName(), f.sha256(), f.size());
      }
    }
    checkDiskSpace(toAllocate);
    String modelId = ShimmyModelIds.idForModelFile(files.get(0).localName());
    log.info(
        "resolved {} to commit {}: {} ({} bytes, {} to download)",
        ref,
        commit,
        files.stream().map(RemoteFile::path).collect(Collectors.joining(", ")),
        total,
        toDownload);
    return new PreparedPull(ref, commit, files, modelId, force, toDownload);
  }

  /**
   * A file name the Hub listed must pass the same checks as one a user gives (no traversal, a
   * {@code .gguf} name of at most 255 bytes...) before it is used in any request or path; a bad one
   * is the Hub's fault (UPSTREAM, 502).
   */
  private static void validateHubFile(String repo, String path) {
    try {
      ModelRefs.validateFile(path);
    } catch (PullException e) {
      throw new PullException(
          Reason.UPSTREAM,
          "the Hub listed a file of " + repo + " that cannot be pulled: " + e.getMessage(),
          e);
    }
  }

  private RemoteFile remoteFile(
      String repo,
      String commit,
      List<HubClient.TreeFile> tree,
      String path,
      PullCancellation cancellation) {
    HubClient.TreeFile entry =
        tree.stream().filter(t -> t.path().equals(path)).findFirst().orElseThrow();
    if (entry.sha256() != null && entry.size() >= 0) {
      return new RemoteFile(path, entry.size(), entry.sha256());
    }
    HubClient.FileInfo info = hub.head(repo, commit, path, cancellation);
    if (info.sha256() == null || info.size() < 0) {
      throw new PullException(
          Reason.UPSTREAM,
          "the Hub publishes no sha256 for " + repo + "/" + path + " (not an LFS file)");
    }
    return new RemoteFile(path, info.size(), info.sha256());
  }

  /** 507 unless {@code toDownload} more bytes fit on the model directory's disk, reserve kept. */
  private void checkDiskSpace(long toDownload) {
    store.ensureDirs();
    long usable;
    try {
      usable = Files.getFileStore(store.dir()).getUsableSpace();
    } catch (IOException e) {
      throw PullStore.local("cannot read free space of " + store.modelDir(), e);
    }
    if (toDownload > 0 && usable - diskReserveBytes < toDownload) {
      throw new PullException(
          Reason.INSUFFICIENT_STORAGE,
          "not enough disk space in "
              + store.modelDir()
              + ": "
              + toDownload
              + " bytes to download, "
              + usable
              + " usable, "
              + diskReserveBytes
              + " kept in reserve",
          null,
          Map.of("required", toDownload, "usable", usable, "reserve", diskReserveBytes));
    }
  }

  /** Whether {@code f} is published with the size and the recorded sha256 the Hub reports. */
  private boolean isPresent(RemoteFile f) {
    Path target = store.published(f.localName());
    try {
      if (!Files.isRegularFile(target) || Files.size(target) != f.size()) {
        return false;
      }
    } catch (IOException e) {
      return false;
    }
    return store
        .readRecord(f.localName())
        .filter(r -> r.sha256().equals(f.sha256()) && r.size() == f.size())
        .isPresent();
  }

  @Override
  public PullResult pull(PreparedPull pull, PullListener listener, PullCancellation cancellation) {
    long started = System.nanoTime();
    String repo = pull.ref().repo();
    long overallTotal = pull.totalSize();
    long overallDone = 0;
    List<RemoteFile> downloaded = new ArrayList<>();
    for (RemoteFile f : pull.files()) {
      if (cancellation.isCancelled()) {
        throw cancelledBetweenFiles(pull, cancellation);
      }
      if (!pull.force() && isPresent(f)) {
        overallDone += f.size();
        log.info("{} already present with sha256 {}, not downloaded", f.localName(), f.sha256());
        continue;
      }
      long fileStarted = System.nanoTime();
      FileDownload download =
          new FileDownload(
              hub, store, downloads, new PinnedFile(repo, pull.commit(), f), cancellation);
      long base = overallDone;
      download.run(
          new FileDownload.Listener() {
            private long last = System.nanoTime();

            @Override
            public void progress(long completed, boolean force) {
              long now = System.nanoTime();
              if (force || now - last >= progressInterval.toNanos()) {
                last = now;
                listener.onEvent(
                    new PullEvent.Downloading(
                        f.localName(), f.size(), completed, overallTotal, base + completed));
              }
            }

            @Override
            public void verifying() {
              listener.onEvent(new PullEvent.Verifying(f.localName()));
            }
          });
      double seconds = Math.max(1e-9, (System.nanoTime() - fileStarted) / 1e9);
      log.info(
          "downloaded and verified {} from {}@{}: {} bytes in {} s ({} MiB/s)",
          f.localName(),
          repo,
          pull.commit(),
          f.size(),
          String.format("%.1f", seconds),
          String.format("%.1f", f.size() / seconds / 1024 / 1024));
      overallDone += f.size();
      downloaded.add(f);
    }
    if (cancellation.isCancelled()) {
      throw cancelledBetweenFiles(pull, cancellation);
    }
    publish(pull, downloaded, listener);
    RemoteFile first = pull.primaryFile();
    log.info(
        "pull of {} complete: model {} ({} files, {} bytes, commit {}) in {} ms",
        pull.ref(),
        pull.modelId(),
        pull.files().size(),
        overallTotal,
        pull.commit(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    return new PullResult(
        pull.modelId(),
        repo,
        pull.commit(),
        first.localName(),
        pull.files().stream().map(RemoteFile::localName).toList(),
        overallTotal,
        first.sha256(),
        !downloaded.isEmpty());
  }

  /** Publishes every downloaded file (first shard last), then reports the present ones too. */
  private void publish(PreparedPull pull, List<RemoteFile> downloaded, PullListener listener) {
    List<RemoteFile> order = new ArrayList<>(pull.files().subList(1, pull.files().size()));
    order.add(pull.primaryFile());
    for (RemoteFile f : order) {
      boolean fresh = downloaded.contains(f);
      if (fresh) {
        Path target = store.published(f.localName());
        try {
          PullStore.atomicMove(store.partial(f.localName()), target);
        } catch (IOException e) {
          throw PullStore.local("cannot publish " + target, e);
        }
        store.writeRecord(
            new PullStore.FileRecord(
                pull.ref().repo(),
                pull.commit(),
                f.path(),
                f.localName(),
                f.sha256(),
                f.size(),
                Instant.now().toString()));
        store.deleteQuietly(store.sidecarPath(f.localName()));
        log.info("published {} ({} bytes, sha256 {})", target, f.size(), f.sha256());
      }
      listener.onEvent(new PullEvent.Published(f.localName(), fresh));
    }
    PullStore.syncDir(store.modelDir());
  }

  private PullException cancelledBetweenFiles(PreparedPull pull, PullCancellation cancellation) {
    if (cancellation.discardPartial()) {
      discardPartials(pull);
      return new PullException(
          Reason.CANCELLED, "pull of " + pull.ref() + " cancelled; partial downloads discarded");
    }
    return new PullException(
        Reason.CANCELLED, "pull of " + pull.ref() + " cancelled; partial downloads kept");
  }

  /**
   * Deletes the partial downloads (and their sidecars) of {@code pull}'s files; published files
   * stay.
   */
  public void discardPartials(PreparedPull pull) {
    for (RemoteFile f : pull.files()) {
      store.discardPartial(f.localName());
    }
  }

  /**
   * Configures a {@link HuggingFacePuller}. Every setting has a default (the {@code DEFAULT_*}
   * constants of {@link HuggingFacePuller}); only {@link #modelDir} is required.
   */
  public static final class Builder {
    private @Nullable Path modelDir;
    private String endpoint = DEFAULT_ENDPOINT;
    private @Nullable String token;
    private @Nullable OkHttpClient client;
    private int parts = DEFAULT_PARTS;
    private long partSize = DEFAULT_PART_SIZE;
    private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
    private long diskReserveBytes = DEFAULT_DISK_RESERVE_BYTES;
    private long maxPullBytes = DEFAULT_MAX_PULL_BYTES;
    private long maxMetadataBytes = DEFAULT_MAX_METADATA_BYTES;
    private int maxTreePages = DEFAULT_MAX_TREE_PAGES;
    private long syncEveryBytes = DEFAULT_SYNC_EVERY_BYTES;
    private Duration progressInterval = DEFAULT_PROGRESS_INTERVAL;
    private @Nullable MeterRegistry meterRegistry;

    private Builder() {}

    /**
     * A builder with the token from {@code HF_TOKEN} and the endpoint from {@code HF_ENDPOINT}
     * (default {@value #DEFAULT_ENDPOINT}).
     */
    public static Builder fromEnvironment() {
      return fromEnvironment(System.getenv());
    }

    /** {@link #fromEnvironment()} reading the given variables (for tests and embedding). */
    public static Builder fromEnvironment(Map<String, String> env) {
      Builder b = new Builder();
      String endpoint = env.get("HF_ENDPOINT");
      if (endpoint != null && !endpoint.isBlank()) {
        b.endpoint(endpoint.trim());
      }
      String token = env.get("HF_TOKEN");
      if (token != null && !token.isBlank()) {
        b.token(token.trim());
      }
      return b;
    }

    /** Required: the model directory Shimmy scans; created on the first pull if missing. */
    public Builder modelDir(Path modelDir) {
      this.modelDir = modelDir;
      return this;
    }

    /**
     * Hub endpoint or mirror, e.g. {@code https://hf-mirror.example}; default {@value
     * #DEFAULT_ENDPOINT}.
     */
    public Builder endpoint(String endpoint) {
      if (HttpUrl.parse(endpoint) == null) {
        throw new IllegalArgumentException("endpoint is not an http(s) URL: " + endpoint);
      }
      this.endpoint = endpoint;
      return this;
    }

    /** {@link #endpoint(String)} from a URI. */
    public Builder endpoint(URI endpoint) {
      return endpoint(endpoint.toString());
    }

    /**
     * Bearer token for gated and private repos; default none. It is sent only to the endpoint's
     * origin (scheme, host, port), on every request there, never to the CDN or any other host.
     */
    public Builder token(@Nullable String token) {
      this.token = token;
      return this;
    }

    /**
     * The shared OkHttpClient to derive from (connection pool, proxy, TLS); the puller uses {@code
     * newBuilder()} on it with redirects off and its own timeouts. Default: a new client.
     */
    public Builder client(OkHttpClient client) {
      this.client = client;
      return this;
    }

    /**
     * Parallel ranged connections per file; 1 disables parallel parts. Default {@value
     * #DEFAULT_PARTS}.
     */
    public Builder parts(int parts) {
      if (parts < 1) {
        throw new IllegalArgumentException("parts must be >= 1");
      }
      this.parts = parts;
      return this;
    }

    /** Size of one ranged part; files up to this size use one connection. Default 64 MiB. */
    public Builder partSize(long partSize) {
      if (partSize < 1) {
        throw new IllegalArgumentException("partSize must be >= 1");
      }
      this.partSize = partSize;
      return this;
    }

    /** A read that receives no byte for this long fails and is retried. Default 30 s. */
    public Builder stallTimeout(Duration stallTimeout) {
      this.stallTimeout = positive(stallTimeout, "stallTimeout");
      return this;
    }

    /** Connect timeout per connection. Default 15 s. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = positive(connectTimeout, "connectTimeout");
      return this;
    }

    /**
     * Attempts per Hub request or download part, the first one included, for transient failures
     * (connect/reset/stall, 5xx, 429); an attempt that made progress starts a fresh budget. Default
     * {@value #DEFAULT_MAX_ATTEMPTS}.
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1");
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * First backoff between attempts, doubled each time with ±50% jitter (min 1 ms). Default 1 s.
     */
    public Builder initialBackoff(Duration initialBackoff) {
      this.initialBackoff = positive(initialBackoff, "initialBackoff");
      return this;
    }

    /** Longest backoff; a 429's {@code Retry-After} is honoured up to 5 min. Default 30 s. */
    public Builder maxBackoff(Duration maxBackoff) {
      this.maxBackoff = positive(maxBackoff, "maxBackoff");
      return this;
    }

    /** Bytes that must stay free after the download (disk preflight, 507). Default 1 GiB. */
    public Builder diskReserveBytes(long diskReserveBytes) {
      if (diskReserveBytes < 0) {
        throw new IllegalArgumentException("diskReserveBytes must be >= 0");
      }
      this.diskReserveBytes = diskReserveBytes;
      return this;
    }

    /** Largest total size of one pull (TOO_LARGE above). Default unlimited. */
    public Builder maxPullBytes(long maxPullBytes) {
      if (maxPullBytes < 1) {
        throw new IllegalArgumentException("maxPullBytes must be >= 1");
      }
      this.maxPullBytes = maxPullBytes;
      return this;
    }

    /**
     * Largest Hub metadata answer (revision, one tree page) read; a larger one fails with UPSTREAM
     * (502) while it streams in, never buffered whole. Default 16 MiB.
     */
    public Builder maxMetadataBytes(long maxMetadataBytes) {
      if (maxMetadataBytes < 1) {
        throw new IllegalArgumentException("maxMetadataBytes must be >= 1");
      }
      this.maxMetadataBytes = maxMetadataBytes;
      return this;
    }

    /**
     * Most tree API pages followed for one listing (UPSTREAM, 502, beyond). Default {@value
     * #DEFAULT_MAX_TREE_PAGES}.
     */
    public Builder maxTreePages(int maxTreePages) {
      if (maxTreePages < 1) {
        throw new IllegalArgumentException("maxTreePages must be >= 1");
      }
      this.maxTreePages = maxTreePages;
      return this;
    }

    /**
     * Bytes written between two background fsyncs of a partial download (progressive sync, so the
     * fsync before publishing is short); 0 syncs only once, at the end. Default 32 MiB.
     */
    public Builder syncEveryBytes(long syncEveryBytes) {
      if (syncEveryBytes < 0) {
        throw new IllegalArgumentException("syncEveryBytes must be >= 0");
      }
      this.syncEveryBytes = syncEveryBytes;
      return this;
    }

    /**
     * Minimum interval between two {@code downloading} events of a file (100% is always sent).
     * Default 200 ms.
     */
    public Builder progressInterval(Duration progressInterval) {
      this.progressInterval = positive(progressInterval, "progressInterval");
      return this;
    }

    /**
     * Registers counters {@code shimmy.pull.bytes}, {@code shimmy.pull.retries}, {@code
     * shimmy.pull.resumed.bytes} and {@code shimmy.pull.synced.bytes} (fsynced while downloading).
     * Default: no metrics.
     */
    public Builder meterRegistry(@Nullable MeterRegistry meterRegistry) {
      this.meterRegistry = meterRegistry;
      return this;
    }

    public HuggingFacePuller build() {
      return new HuggingFacePuller(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive");
      }
      return d;
    }
  }
}
