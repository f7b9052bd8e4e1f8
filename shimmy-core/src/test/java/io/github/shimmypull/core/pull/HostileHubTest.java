package io.github.shimmypull.core.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.HubFault;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The puller against a hostile or broken Hub (issue 10): every fault is injected by the fake Hub.
 */
@Timeout(60)
class HostileHubTest {

  static final String REPO = "acme/tiny-GGUF";
  static final String Q4 = "tiny-Q4_K_M.gguf";
  static final int MIB = 1024 * 1024;

  @TempDir Path modelDir;
  HubFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  HubFixture start(FakeHuggingFace.Builder hub) throws Exception {
    fixture = new HubFixture(hub.build(), modelDir);
    return fixture;
  }

  static FakeHuggingFace.Builder tinyRepo(int size) {
    return FakeHuggingFace.builder()
        .file(REPO, Q4, FakeFile.seeded(size, 1))
        .file(REPO, "tiny-Q8_0.gguf", FakeFile.seeded(size, 2))
        .file(REPO, "README.md", FakeFile.of("# tiny".getBytes(StandardCharsets.UTF_8)));
  }

  static PullException pullFailure(HuggingFacePuller puller, ModelRef ref) {
    try {
      puller.pull(ref, false, PullListener.NONE);
    } catch (PullException e) {
      return e;
    }
    throw new AssertionError("the pull of " + ref + " succeeded");
  }

  @Test
  void paginationToAnotherHostIsRefusedAndNeverReceivesTheToken() throws Exception {
    HubFixture f =
        start(
            tinyRepo(1000)
                .token("hf_secret")
                .privateRepo(REPO)
                .treePageSize(1)
                .treeNextLinkHost("localhost"));

    PullException e = pullFailure(f.puller().token("hf_secret").build(), ModelRef.parse(REPO));

    assertThat(e.reason()).isEqualTo(Reason.UPSTREAM);
    assertThat(e.reason().httpStatus()).isEqualTo(502);
    assertThat(e.getMessage()).contains("pagination", "another host", "localhost");
    assertThat(f.hub.requests(r -> r.getUrl().host().equals("localhost"))).isEmpty();
    assertThat(f.hub.requests(r -> r.getHeaders().get("Authorization") != null))
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.getUrl().host()).isEqualTo("127.0.0.1"));
  }

  @Test
  void theTokenGoesToTheEndpointOnEveryRequestAndNowhereElse() throws Exception {
    HubFixture f = start(tinyRepo(MIB).token("hf_secret").privateRepo(REPO).treePageSize(1));

    f.puller()
        .token("hf_secret")
        .parts(2)
        .partSize(MIB / 2)
        .build()
        .pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(f.hub.requests(r -> r.getUrl().encodedPath().contains("/tree/")))
        .hasSizeGreaterThan(1);
    assertThat(f.hub.requests())
        .allSatisfy(
            r -> {
              boolean endpoint = r.getUrl().host().equals("127.0.0.1");
              assertThat(r.getHeaders().get("Authorization"))
                  .isEqualTo(endpoint ? "Bearer hf_secret" : null);
            });
    assertThat(f.hub.cdnDownloads()).isNotEmpty();
  }

  @Test
  void aHugeTreeAnswerIs502AtTheCapWithoutBufferingIt() throws Exception {
    HubFixture f = start(tinyRepo(1000).treeBodyBytes(106L * MIB));

    PullException e = pullFailure(f.puller().build(), ModelRef.parse(REPO));

    assertThat(e.reason()).isEqualTo(Reason.UPSTREAM);
    assertThat(e.getMessage())
        .contains("larger than the " + HuggingFacePuller.DEFAULT_MAX_METADATA_BYTES + "-byte cap");
    assertThat(f.hub.cdnDownloads()).isEmpty();
  }

  @Test
  void endlessPaginationStopsAtThePageCap() throws Exception {
    HubFixture f = start(tinyRepo(1000).endlessTree(true));

    PullException e = pullFailure(f.puller().build(), ModelRef.parse(REPO));

    assertThat(e.reason()).isEqualTo(Reason.UPSTREAM);
    assertThat(e.getMessage())
        .contains("more than " + HuggingFacePuller.DEFAULT_MAX_TREE_PAGES + " pages");
    assertThat(f.hub.requests(r -> r.getUrl().encodedPath().contains("/tree/")))
        .hasSize(HuggingFacePuller.DEFAULT_MAX_TREE_PAGES);
  }

  @Test
  void cancelDuringResolvingStopsTheRequestInFlight() throws Exception {
    HubFixture f = start(tinyRepo(1000).metadataDelay(Duration.ofSeconds(40)));
    HuggingFacePuller puller = f.puller().build();
    PullCancellation cancellation = new PullCancellation();
    CompletableFuture<PreparedPull> prepare =
        CompletableFuture.supplyAsync(
            () -> puller.prepare(ModelRef.parse(REPO), false, cancellation));
    Await.until(
        "the tree request is in flight",
        () -> !f.hub.requests(r -> r.getUrl().encodedPath().contains("/tree/")).isEmpty());

    long t0 = System.nanoTime();
    cancellation.cancel();

    assertThatThrownBy(() -> prepare.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CANCELLED));
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    assertThat(f.hub.requests(r -> r.getUrl().encodedPath().contains("/tree/"))).hasSize(1);
  }

  @Test
  void aCommitIdThatIsNot40HexIsRefusedOnBothResolutionPaths() throws Exception {
    HubFixture f = start(tinyRepo(1000).commitIdOverride("0123abc"));

    PullException byTag = pullFailure(f.puller().build(), ModelRef.parse(REPO));
    PullException byFile = pullFailure(f.puller().build(), ModelRef.parse(REPO, Q4, null));

    assertThat(List.of(byTag, byFile))
        .allSatisfy(
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.UPSTREAM);
              assertThat(e.getMessage()).contains("invalid commit id", "0123abc", "40 hex");
            });
    assertThat(f.hub.cdnDownloads()).isEmpty();
  }

  @Test
  void aHubFileNameIsValidatedBeforeItIsUsedInAHeadRequest() throws Exception {
    HubFixture f =
        start(
            FakeHuggingFace.builder().file(REPO, "../evil-Q4_K_M.gguf", FakeFile.seeded(1000, 1)));

    PullException e = pullFailure(f.puller().build(), ModelRef.parse(REPO));

    assertThat(e.reason()).isEqualTo(Reason.UPSTREAM);
    assertThat(e.getMessage()).contains("the Hub listed a file", "'..'");
    assertThat(f.hub.requests(r -> r.getMethod().equals("HEAD"))).isEmpty();
    assertThat(f.hub.cdnDownloads()).isEmpty();
  }

  @Test
  void aPublishedNameLongerThan255BytesIsRejectedUpFront() throws Exception {
    String name = "\u00e9".repeat(126) + "-Q4_K_M.gguf"; // 138 characters, 264 bytes
    HubFixture f = start(FakeHuggingFace.builder().file(REPO, name, FakeFile.seeded(1000, 1)));

    PullException fromHub = pullFailure(f.puller().build(), ModelRef.parse(REPO));

    assertThat(fromHub.reason()).isEqualTo(Reason.UPSTREAM);
    assertThat(fromHub.getMessage()).contains("longer than 255 bytes");
    assertThat(f.hub.cdnDownloads()).isEmpty();
    assertThatThrownBy(() -> ModelRef.parse(REPO, name, null))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.INVALID_REQUEST);
              assertThat(e.getMessage()).contains("longer than 255 bytes");
            });
  }

  @Test
  void aNameOf255BytesIsPulledAndResumedUnderShortInternalNames() throws Exception {
    String name = "a".repeat(255 - "-Q4_K_M.gguf".length()) + "-Q4_K_M.gguf";
    HubFixture f = start(FakeHuggingFace.builder().file(REPO, name, FakeFile.seeded(2 * MIB, 1)));
    f.hub.inject(REPO, name, HubFault.stallAfter(MIB), 1);
    HuggingFacePuller puller = f.puller().build();
    PullCancellation cancellation = new PullCancellation();
    assertThatThrownBy(
            () ->
                puller.pull(
                    puller.prepare(ModelRef.parse(REPO), false),
                    event -> {
                      if (event instanceof PullEvent.Downloading d && d.completed() >= MIB) {
                        cancellation.cancel();
                      }
                    },
                    cancellation))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CANCELLED));
    try (Stream<Path> hidden = Files.list(modelDir.resolve(".shimmy-pull"))) {
      assertThat(hidden.map(p -> p.getFileName().toString()))
          .isNotEmpty()
          .allSatisfy(
              n -> assertThat(n.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255));
    }

    PreparedPull again = puller.prepare(ModelRef.parse(REPO), false);
    assertThat(again.bytesToDownload()).isEqualTo(MIB);
    puller.pull(again, PullListener.NONE, new PullCancellation());

    assertThat(HubFixture.sha256(modelDir.resolve(name))).isEqualTo(f.hub.sha256(REPO, name));
    assertThat(new ModelDirectory(modelDir).list())
        .singleElement()
        .satisfies(m -> assertThat(m.sha256()).isEqualTo(f.hub.sha256(REPO, name)));
  }

  @Test
  void aRedirectToAFileUrlFailsAtOnceWithoutRetries() throws Exception {
    HubFixture f = start(tinyRepo(1000));
    f.hub.inject(REPO, Q4, HubFault.redirectTo("file:///etc/passwd"), 10);

    PullException e = pullFailure(f.puller().build(), ModelRef.parse(REPO));

    assertThat(e.reason()).isEqualTo(Reason.UPSTREAM);
    assertThat(e.getMessage()).contains("unsupported URL", "'file'");
    assertThat(
            f.hub.requests(
                r -> r.getMethod().equals("GET") && r.getUrl().encodedPath().contains("/resolve/")))
        .hasSize(1);
  }

  @Test
  void anAbsurdContentRangeIs502WithAMessage() throws Exception {
    HubFixture f = start(tinyRepo(1000));
    f.hub.inject(REPO, Q4, HubFault.contentRange("bytes 99999999999999999999999-1/5"), 1);

    PullException e = pullFailure(f.puller().build(), ModelRef.parse(REPO));

    assertThat(e.reason()).isEqualTo(Reason.UPSTREAM);
    assertThat(e.reason().httpStatus()).isEqualTo(502);
    assertThat(e.getMessage()).contains("invalid Content-Range", "99999999999999999999999");
    assertThat(modelDir.resolve(Q4)).doesNotExist();
  }

  @Test
  void anUnknownHostFailsAtOnceNamingTheHostAndTheEndpointSetting() throws Exception {
    AtomicInteger lookups = new AtomicInteger();
    OkHttpClient offline =
        new OkHttpClient.Builder()
            .dns(
                host -> {
                  lookups.incrementAndGet();
                  throw new UnknownHostException(host + ": Name or service not known");
                })
            .build();
    HuggingFacePuller puller =
        HuggingFacePuller.builder()
            .modelDir(modelDir)
            .endpoint("https://hub.example.invalid")
            .client(offline)
            .build(); // default backoff: 1 s, doubling, 6 attempts

    long t0 = System.nanoTime();
    PullException e = pullFailure(puller, ModelRef.parse(REPO));

    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    assertThat(e.reason()).isEqualTo(Reason.UPSTREAM);
    assertThat(e.getMessage()).contains("hub.example.invalid", "--hf-endpoint", "HF_ENDPOINT");
    assertThat(lookups.get()).isEqualTo(1);
  }
}
