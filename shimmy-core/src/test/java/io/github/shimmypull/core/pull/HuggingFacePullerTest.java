package io.github.shimmypull.core.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.HubFault;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class HuggingFacePullerTest {

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

  static List<RecordedRequest> withRange(List<RecordedRequest> requests) {
    return requests.stream().filter(r -> r.getHeaders().get("Range") != null).toList();
  }

  @Test
  void pullsDefaultTagThroughCdnRedirectAndPublishesVerifiedFile() throws Exception {
    HubFixture f = start(tinyRepo(2 * MIB + 17));
    List<PullEvent> events = new CopyOnWriteArrayList<>();
    HuggingFacePuller puller = f.puller().build();

    PreparedPull prepared = puller.prepare(ModelRef.parse("hf.co/" + REPO), false, events::add);
    PullResult result = puller.pull(prepared, events::add, new PullCancellation());

    Path published = modelDir.resolve(Q4);
    assertThat(HubFixture.sha256(published)).isEqualTo(f.hub.sha256(REPO, Q4));
    assertThat(result.modelId()).isEqualTo("tiny-q4-k-m");
    assertThat(result.file()).isEqualTo(Q4);
    assertThat(result.revision()).isEqualTo(f.hub.head(REPO));
    assertThat(result.sha256()).isEqualTo(f.hub.sha256(REPO, Q4));
    assertThat(result.downloaded()).isTrue();
    assertThat(events.get(0)).isEqualTo(new PullEvent.Resolving(REPO, "main"));
    assertThat(events)
        .filteredOn(e -> e instanceof PullEvent.Downloading)
        .last()
        .isEqualTo(
            new PullEvent.Downloading(Q4, 2 * MIB + 17, 2 * MIB + 17, 2 * MIB + 17, 2 * MIB + 17));
    assertThat(events).contains(new PullEvent.Verifying(Q4), new PullEvent.Published(Q4, true));
    assertThat(f.hub.cdnDownloads())
        .allSatisfy(r -> assertThat(r.getUrl().host()).isEqualTo("localhost"));
    try (Stream<Path> hidden = Files.list(modelDir.resolve(".shimmy-pull"))) {
      assertThat(hidden.map(p -> p.getFileName().toString())).containsExactly(Q4 + ".meta.json");
    }
    assertThat(new ModelDirectory(modelDir).list())
        .containsExactly(
            new LocalModel(
                "tiny-q4-k-m",
                List.of(Q4),
                2 * MIB + 17,
                f.hub.sha256(REPO, Q4),
                REPO,
                f.hub.head(REPO)));
  }

  @Test
  void fallsBackToQ8ThenToTheFirstModelFileSkippingProjectorsAcrossTreePages() throws Exception {
    HubFixture f =
        start(
            FakeHuggingFace.builder()
                .treePageSize(2)
                .file("a/q8", "mmproj-Q4_K_M.gguf", FakeFile.seeded(1000, 1))
                .file("a/q8", "m.imatrix-Q4_K_M.gguf", FakeFile.seeded(1000, 1))
                .file("a/q8", "m-Q8_0.gguf", FakeFile.seeded(1000, 2))
                .file("a/first", "mmproj-F16.gguf", FakeFile.seeded(1000, 1))
                .file("a/first", "m-IQ2_XS.gguf", FakeFile.seeded(1000, 3))
                .file("a/first", "m-F16.gguf", FakeFile.seeded(1000, 4)));
    HuggingFacePuller puller = f.puller().build();

    assertThat(puller.prepare(ModelRef.parse("a/q8"), false).primaryFile().path())
        .isEqualTo("m-Q8_0.gguf");
    assertThat(puller.prepare(ModelRef.parse("a/first"), false).primaryFile().path())
        .isEqualTo("m-F16.gguf");
    assertThat(puller.prepare(ModelRef.parse("a/first:iq2_xs"), false).primaryFile().path())
        .isEqualTo("m-IQ2_XS.gguf");
  }

  @Test
  void pullsEveryShardOfASplitModelAndNamesTheGroupId() throws Exception {
    HubFixture f =
        start(
            FakeHuggingFace.builder()
                .file(
                    "a/split",
                    "Q4_K_M/Big-Model-Q4_K_M-00002-of-00002.gguf",
                    FakeFile.seeded(300_000, 2))
                .file(
                    "a/split",
                    "Q4_K_M/Big-Model-Q4_K_M-00001-of-00002.gguf",
                    FakeFile.seeded(400_000, 1))
                .file(
                    "a/split",
                    "Q8_0/Big-Model-Q8_0-00001-of-00001.gguf",
                    FakeFile.seeded(500_000, 3)));
    HuggingFacePuller puller = f.puller().build();
    List<PullEvent> events = new CopyOnWriteArrayList<>();

    PullResult result =
        puller.pull(
            puller.prepare(ModelRef.parse("a/split:q4_k_m"), false),
            events::add,
            new PullCancellation());

    assertThat(result.files())
        .containsExactly(
            "Big-Model-Q4_K_M-00001-of-00002.gguf", "Big-Model-Q4_K_M-00002-of-00002.gguf");
    assertThat(result.modelId()).isEqualTo("big-model-q4-k-m");
    assertThat(result.sizeBytes()).isEqualTo(700_000);
    assertThat(events)
        .filteredOn(e -> e instanceof PullEvent.Published)
        .containsExactly(
            new PullEvent.Published("Big-Model-Q4_K_M-00002-of-00002.gguf", true),
            new PullEvent.Published("Big-Model-Q4_K_M-00001-of-00002.gguf", true));
    assertThat(new ModelDirectory(modelDir).list())
        .extracting(LocalModel::id)
        .containsExactly("big-model-q4-k-m");
  }

  @Test
  void explicitShardFilePullsTheWholeSplitModel() throws Exception {
    HubFixture f =
        start(
            FakeHuggingFace.builder()
                .file("a/split", "x-00001-of-00002.gguf", FakeFile.seeded(1000, 1))
                .file("a/split", "x-00002-of-00002.gguf", FakeFile.seeded(1000, 2)));

    PreparedPull prepared =
        f.puller().build().prepare(ModelRef.parse("a/split", "x-00001-of-00002.gguf", null), false);

    assertThat(prepared.files())
        .extracting(RemoteFile::path)
        .containsExactly("x-00001-of-00002.gguf", "x-00002-of-00002.gguf");
    assertThat(prepared.modelId()).isEqualTo("x");
  }

  @Test
  void tagWithoutMatchIsNotFoundListingTheAvailableGgufFiles() throws Exception {
    HubFixture f = start(tinyRepo(1000));

    assertThatThrownBy(() -> f.puller().build().prepare(ModelRef.parse(REPO + ":Q2_K"), false))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
              assertThat(e.getMessage()).contains("Q2_K", Q4, "tiny-Q8_0.gguf");
              assertThat(e.details()).containsEntry("available", List.of(Q4, "tiny-Q8_0.gguf"));
            });
  }

  @Test
  void keepsDownloadingThePinnedCommitWhenMainMovesMidPull() throws Exception {
    HubFixture f = start(tinyRepo(MIB));
    String pinned = f.hub.head(REPO);
    String pinnedSha = f.hub.sha256(REPO, Q4);
    f.hub.inject(REPO, Q4, HubFault.resetAfter(100_000), 1);
    HuggingFacePuller puller = f.puller().parts(2).partSize(256 * 1024).build();
    PreparedPull prepared = puller.prepare(ModelRef.parse(REPO + ":Q4_K_M"), false);
    f.hub.commit(REPO, Map.of(Q4, FakeFile.seeded(MIB + 5, 99)));

    PullResult result = puller.pull(prepared, PullListener.NONE, new PullCancellation());

    assertThat(f.hub.head(REPO)).isNotEqualTo(pinned);
    assertThat(result.revision()).isEqualTo(pinned);
    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(pinnedSha);
    assertThat(
            f.hub.requests(
                r -> r.getMethod().equals("GET") && r.getUrl().encodedPath().contains("/resolve/")))
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.getUrl().encodedPath()).contains("/resolve/" + pinned + "/"));
  }

  @Test
  void corruptBytesFailIntegrityAndPublishNothing() throws Exception {
    HubFixture f = start(tinyRepo(MIB));
    f.hub.inject(REPO, Q4, HubFault.corrupt(), 1);
    HuggingFacePuller puller = f.puller().build();

    assertThatThrownBy(() -> puller.pull(ModelRef.parse(REPO), false, PullListener.NONE))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.INTEGRITY);
              assertThat(e.getMessage()).contains("sha256");
            });
    assertThat(modelDir.resolve(Q4)).doesNotExist();
    assertThat(modelDir.resolve(".shimmy-pull/" + Q4 + ".part")).doesNotExist();
    assertThat(modelDir.resolve(".shimmy-pull/" + Q4 + ".part.json")).doesNotExist();
  }

  @Test
  void fileWithoutGgufMagicFailsIntegrity() throws Exception {
    HubFixture f =
        start(
            FakeHuggingFace.builder()
                .file("a/b", "x.gguf", FakeFile.of(new byte[] {1, 2, 3, 4, 5})));

    assertThatThrownBy(
            () ->
                f.puller()
                    .build()
                    .pull(ModelRef.parse("a/b", "x.gguf", null), false, PullListener.NONE))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.INTEGRITY);
              assertThat(e.getMessage()).contains("GGUF magic");
            });
    assertThat(modelDir.resolve("x.gguf")).doesNotExist();
  }

  @Test
  void resumesWithRangeAfterConnectionResetMidBody() throws Exception {
    HubFixture f = start(tinyRepo(2 * MIB));
    f.hub.inject(REPO, Q4, HubFault.resetAfter(700_000), 1);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();

    f.puller().meterRegistry(meters).build().pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    List<RecordedRequest> downloads = f.hub.cdnDownloads();
    assertThat(downloads).hasSize(2);
    long resumedAt = rangeStart(downloads.get(1));
    assertThat(resumedAt).isGreaterThan(0).isLessThanOrEqualTo(700_000);
    assertThat(meters.get("shimmy.pull.retries").counter().count()).isEqualTo(1);
    assertThat(meters.get("shimmy.pull.bytes").counter().count()).isEqualTo(2 * MIB);
  }

  @Test
  void truncatedBodyIsResumed() throws Exception {
    HubFixture f = start(tinyRepo(MIB));
    f.hub.inject(REPO, Q4, HubFault.truncateAfter(300_000), 1);

    f.puller().build().pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    assertThat(rangeStart(f.hub.cdnDownloads().get(1))).isGreaterThan(0);
  }

  @Test
  void stalledBodyIsDetectedAndResumed() throws Exception {
    HubFixture f = start(tinyRepo(MIB));
    f.hub.inject(REPO, Q4, HubFault.stallAfter(400_000), 1);
    long started = System.nanoTime();

    f.puller()
        .stallTimeout(Duration.ofMillis(500))
        .build()
        .pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    assertThat(f.hub.cdnDownloads()).hasSizeGreaterThanOrEqualTo(2);
    assertThat(rangeStart(f.hub.cdnDownloads().get(1))).isGreaterThan(0);
  }

  @Test
  void startsOverWhenTheServerIgnoresRange() throws Exception {
    HubFixture f = start(tinyRepo(MIB));
    f.hub.inject(REPO, Q4, HubFault.resetAfter(300_000), 1);
    f.hub.inject(REPO, Q4, HubFault.ignoreRange(), 1);

    f.puller().build().pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    List<RecordedRequest> downloads = f.hub.cdnDownloads();
    assertThat(downloads).hasSize(3);
    assertThat(rangeStart(downloads.get(1))).isGreaterThan(0);
    assertThat(rangeStart(downloads.get(2))).isZero();
  }

  @Test
  void startsOverFromByteZeroWhenTheServerRefusesTheResumeRangeWith416() throws Exception {
    HubFixture f = start(tinyRepo(MIB));
    f.hub.inject(REPO, Q4, HubFault.resetAfter(300_000), 1);
    f.hub.inject(REPO, Q4, HubFault.refuseRange(), 1);

    PullResult result = f.puller().build().pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(result.sha256()).isEqualTo(f.hub.sha256(REPO, Q4));
    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    List<RecordedRequest> downloads = f.hub.cdnDownloads();
    assertThat(downloads).hasSize(3);
    assertThat(rangeStart(downloads.get(1))).isGreaterThan(0);
    assertThat(rangeStart(downloads.get(2))).isZero();
  }

  @Test
  void retriesServerErrorsThenSucceeds() throws Exception {
    HubFixture f = start(tinyRepo(MIB));
    f.hub.inject(REPO, Q4, HubFault.status(503), 2);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();

    f.puller().meterRegistry(meters).build().pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    assertThat(meters.get("shimmy.pull.retries").counter().count()).isEqualTo(2);
  }

  @Test
  void persistentServerErrorsFailAsUpstreamAfterMaxAttempts() throws Exception {
    HubFixture f = start(tinyRepo(MIB));
    f.hub.inject(REPO, Q4, HubFault.status(500), 10);

    assertThatThrownBy(
            () ->
                f.puller()
                    .maxAttempts(3)
                    .build()
                    .pull(ModelRef.parse(REPO), false, PullListener.NONE))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UPSTREAM));
    assertThat(
            f.hub.requests(
                r -> r.getMethod().equals("GET") && r.getUrl().encodedPath().contains("/resolve/")))
        .hasSize(3);
  }

  @Test
  void honoursRetryAfterOfA429() throws Exception {
    HubFixture f = start(tinyRepo(MIB));
    f.hub.inject(REPO, Q4, HubFault.rateLimited(Duration.ofSeconds(1)), 1);
    long started = System.nanoTime();

    f.puller().build().pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(Duration.ofMillis(950));
    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
  }

  @Test
  void followsTheHubsRedirectOfARenamedRepoKeepingTheToken() throws Exception {
    HubFixture f =
        start(tinyRepo(MIB).renamed("acme/old-name", REPO).token("hf_t").privateRepo(REPO));

    PullResult result =
        f.puller()
            .token("hf_t")
            .build()
            .pull(ModelRef.parse("acme/old-name:Q4_K_M"), false, PullListener.NONE);

    assertThat(result.sha256()).isEqualTo(f.hub.sha256(REPO, Q4));
    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
  }

  @Test
  void gatedRepoFailsAsGated() throws Exception {
    HubFixture f = start(tinyRepo(1000).gated(REPO));

    assertThatThrownBy(() -> f.puller().build().prepare(ModelRef.parse(REPO), false))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.GATED);
              assertThat(e.getMessage()).contains("gated", "HF_TOKEN");
            });
  }

  @Test
  void missingRepoFailsAsNotFoundSuggestingAToken() throws Exception {
    HubFixture f = start(tinyRepo(1000));

    assertThatThrownBy(() -> f.puller().build().prepare(ModelRef.parse("acme/nope:Q4_K_M"), false))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
              assertThat(e.getMessage()).contains("not found or private", "token");
            });
  }

  @Test
  void missingFileFailsAsNotFound() throws Exception {
    HubFixture f = start(tinyRepo(1000));

    assertThatThrownBy(
            () -> f.puller().build().prepare(ModelRef.parse(REPO, "nope.gguf", null), false))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
              assertThat(e.getMessage()).contains("nope.gguf");
            });
  }

  @Test
  void unknownRevisionFailsAsNotFound() throws Exception {
    HubFixture f = start(tinyRepo(1000));

    assertThatThrownBy(() -> f.puller().build().prepare(ModelRef.parse(REPO, null, "v9"), false))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
              assertThat(e.getMessage()).contains("revision 'v9'");
            });
  }

  @Test
  void tagRevisionIsResolvedToItsCommit() throws Exception {
    HubFixture f = start(tinyRepo(1000));
    String first = f.hub.head(REPO);
    f.hub.tag(REPO, "v1", first);
    f.hub.commit(REPO, Map.of(Q4, FakeFile.seeded(2000, 7)));

    PullResult result =
        f.puller().build().pull(ModelRef.parse(REPO + ":Q4_K_M@v1"), false, PullListener.NONE);

    assertThat(result.revision()).isEqualTo(first);
    assertThat(Files.size(modelDir.resolve(Q4))).isEqualTo(1000);
  }

  @Test
  void tokenReachesTheHubButNotTheCdnHost() throws Exception {
    HubFixture f = start(tinyRepo(MIB).token("hf_secret").privateRepo(REPO));

    f.puller().token("hf_secret").build().pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    assertThat(f.hub.requests(r -> r.getUrl().host().equals("127.0.0.1")))
        .isNotEmpty()
        .allSatisfy(
            r -> assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer hf_secret"));
    assertThat(f.hub.cdnDownloads())
        .isNotEmpty()
        .allSatisfy(
            r -> {
              assertThat(r.getUrl().host()).isEqualTo("localhost");
              assertThat(r.getHeaders().get("Authorization")).isNull();
            });
  }

  @Test
  void aTokenTheHubRejectsAsInvalidCredentialsIsForbiddenSayingSo() throws Exception {
    HubFixture f = start(tinyRepo(1000).token("hf_secret"));

    assertThatThrownBy(
            () -> f.puller().token("hf_expired").build().prepare(ModelRef.parse(REPO), false))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.FORBIDDEN);
              assertThat(e.getMessage())
                  .contains(
                      "rejected the token (401)", "Invalid credentials in Authorization header");
            });
    assertThat(f.hub.cdnDownloads()).isEmpty();
  }

  @Test
  void privateRepoWithoutTokenIsNotFound() throws Exception {
    HubFixture f = start(tinyRepo(1000).token("hf_secret").privateRepo(REPO));

    assertThatThrownBy(() -> f.puller().build().prepare(ModelRef.parse(REPO), false))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
  }

  @Test
  void refusesBeforeDownloadingWhenDiskSpaceIsShort() throws Exception {
    HubFixture f = start(tinyRepo(MIB));

    assertThatThrownBy(
            () ->
                f.puller()
                    .diskReserveBytes(Long.MAX_VALUE / 2)
                    .build()
                    .prepare(ModelRef.parse(REPO), false))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.INSUFFICIENT_STORAGE);
              assertThat(e.details()).containsEntry("required", (long) MIB);
            });
    assertThat(f.hub.cdnDownloads()).isEmpty();
  }

  @Test
  void refusesAPullOverTheSizeCap() throws Exception {
    HubFixture f = start(tinyRepo(MIB));

    assertThatThrownBy(
            () -> f.puller().maxPullBytes(MIB - 1).build().prepare(ModelRef.parse(REPO), false))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE));
    assertThat(f.hub.cdnDownloads()).isEmpty();
  }

  @Test
  void cancelKeepsThePartialAndTheNextPullResumesIt() throws Exception {
    HubFixture f = start(tinyRepo(2 * MIB));
    f.hub.inject(REPO, Q4, HubFault.stallAfter(MIB), 1);
    HuggingFacePuller puller = f.puller().build();
    PullCancellation cancellation = new PullCancellation();
    PreparedPull prepared = puller.prepare(ModelRef.parse(REPO), false);

    assertThatThrownBy(
            () ->
                puller.pull(
                    prepared,
                    event -> {
                      if (event instanceof PullEvent.Downloading d && d.completed() >= MIB) {
                        cancellation.cancel();
                      }
                    },
                    cancellation))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CANCELLED));

    assertThat(modelDir.resolve(Q4)).doesNotExist();
    assertThat(modelDir.resolve(".shimmy-pull/" + Q4 + ".part")).exists();
    PreparedPull again = puller.prepare(ModelRef.parse(REPO), false);
    assertThat(again.bytesToDownload()).isEqualTo(MIB);
    puller.pull(again, PullListener.NONE, new PullCancellation());
    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    assertThat(rangeStart(f.hub.cdnDownloads().get(1))).isEqualTo(MIB);
  }

  @Test
  void cancelWithDiscardDeletesThePartial() throws Exception {
    HubFixture f = start(tinyRepo(2 * MIB));
    f.hub.inject(REPO, Q4, HubFault.stallAfter(MIB), 1);
    HuggingFacePuller puller = f.puller().build();
    PullCancellation cancellation = new PullCancellation();

    assertThatThrownBy(
            () ->
                puller.pull(
                    puller.prepare(ModelRef.parse(REPO), false),
                    event -> {
                      if (event instanceof PullEvent.Downloading d && d.completed() >= MIB) {
                        cancellation.cancel(true);
                      }
                    },
                    cancellation))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CANCELLED));

    assertThat(modelDir.resolve(".shimmy-pull/" + Q4 + ".part")).doesNotExist();
    assertThat(modelDir.resolve(".shimmy-pull/" + Q4 + ".part.json")).doesNotExist();
  }

  @Test
  void interruptingThePullingThreadCancels() throws Exception {
    HubFixture f = start(tinyRepo(2 * MIB));
    f.hub.inject(REPO, Q4, HubFault.stallAfter(MIB), 1);
    HuggingFacePuller puller = f.puller().build();
    PreparedPull prepared = puller.prepare(ModelRef.parse(REPO), false);

    assertThatThrownBy(
            () ->
                puller.pull(
                    prepared,
                    event -> {
                      if (event instanceof PullEvent.Downloading d && d.completed() >= MIB) {
                        Thread.currentThread().interrupt();
                      }
                    },
                    new PullCancellation()))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CANCELLED));
    assertThat(Thread.interrupted()).isTrue();
    assertThat(modelDir.resolve(".shimmy-pull/" + Q4 + ".part")).exists();
  }

  @Test
  void pullingAPresentVerifiedFileAgainDownloadsNothingUnlessForced() throws Exception {
    HubFixture f = start(tinyRepo(MIB));
    HuggingFacePuller puller = f.puller().build();
    puller.pull(ModelRef.parse(REPO), false, PullListener.NONE);
    f.hub.clearRequests();
    List<PullEvent> events = new CopyOnWriteArrayList<>();

    PreparedPull again = puller.prepare(ModelRef.parse(REPO), false);
    PullResult result = puller.pull(again, events::add, new PullCancellation());

    assertThat(again.bytesToDownload()).isZero();
    assertThat(result.downloaded()).isFalse();
    assertThat(events).containsExactly(new PullEvent.Published(Q4, false));
    assertThat(f.hub.cdnDownloads()).isEmpty();

    PullResult forced = puller.pull(ModelRef.parse(REPO), true, PullListener.NONE);
    assertThat(forced.downloaded()).isTrue();
    assertThat(f.hub.cdnDownloads()).hasSize(1);
  }

  @Test
  void aSidecarThatDoesNotDescribeTheFileIsIgnoredAndTheFileDownloadedFresh() throws Exception {
    HubFixture f = start(tinyRepo(MIB));
    Path hidden = Files.createDirectories(modelDir.resolve(".shimmy-pull"));
    Files.write(hidden.resolve(Q4 + ".part"), new byte[MIB]);
    Files.writeString(
        hidden.resolve(Q4 + ".part.json"),
        "{\"repo\":\""
            + REPO
            + "\",\"commit\":\"c\",\"path\":\""
            + Q4
            + "\",\"sha256\":\""
            + f.hub.sha256(REPO, Q4)
            + "\",\"size\":"
            + MIB
            + ",\"parts\":[{\"start\":0,\"end\":1000,\"done\":1001}]}");

    f.puller().build().pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    assertThat(rangeStart(f.hub.cdnDownloads().get(0))).isZero();
  }

  @Test
  void progressEventsAreThrottledButTheLastOneIsAlwaysSent() throws Exception {
    HubFixture f = start(tinyRepo(2 * MIB));
    f.hub.inject(REPO, Q4, HubFault.resetAfter(MIB), 1);
    List<PullEvent> slow = new CopyOnWriteArrayList<>();

    f.puller()
        .progressInterval(Duration.ofHours(1))
        .build()
        .pull(ModelRef.parse(REPO), true, slow::add);

    assertThat(slow)
        .filteredOn(e -> e instanceof PullEvent.Downloading)
        .containsExactly(new PullEvent.Downloading(Q4, 2 * MIB, 2 * MIB, 2 * MIB, 2 * MIB));
  }

  @Test
  void builderFromEnvironmentTakesTokenAndEndpoint() throws Exception {
    HubFixture f = start(tinyRepo(MIB).token("hf_env").privateRepo(REPO));

    HuggingFacePuller puller =
        HuggingFacePuller.Builder.fromEnvironment(
                Map.of("HF_ENDPOINT", f.endpoint() + "/", "HF_TOKEN", "hf_env"))
            .modelDir(modelDir)
            .diskReserveBytes(0)
            .build();
    puller.pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
  }

  @Test
  void resumeOfAParallelDownloadFetchesOnlyTheMissingRangeOfEachPart() throws Exception {
    int part = 256 * 1024;
    int stalledAfter = 100_000;
    HubFixture f = start(tinyRepo(2 * MIB));
    f.hub.inject(REPO, Q4, HubFault.stallAfter(stalledAfter), 1);
    HuggingFacePuller puller = f.puller().parts(4).partSize(part).build();
    PullCancellation cancellation = new PullCancellation();

    assertThatThrownBy(
            () ->
                puller.pull(
                    puller.prepare(ModelRef.parse(REPO), false),
                    event -> {
                      if (event instanceof PullEvent.Downloading d
                          && d.completed() == 2 * MIB - part + stalledAfter) {
                        cancellation.cancel();
                      }
                    },
                    cancellation))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CANCELLED));
    f.hub.clearRequests();

    puller.pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    List<RecordedRequest> resumed = f.hub.cdnDownloads();
    assertThat(resumed).hasSize(1);
    long stalledPart = (rangeStart(resumed.get(0)) - stalledAfter) / part;
    assertThat(resumed.get(0).getHeaders().get("Range"))
        .isEqualTo(
            "bytes=" + (stalledPart * part + stalledAfter) + "-" + (stalledPart * part + part - 1));
  }

  @Test
  void parallelPartsProduceTheSameBytesAndSha() throws Exception {
    int size = 3 * MIB + 12_345;
    HubFixture f = start(tinyRepo(size));
    f.hub.inject(REPO, Q4, HubFault.resetAfter(100_000), 2);

    f.puller()
        .parts(4)
        .partSize(256 * 1024)
        .build()
        .pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    List<RecordedRequest> downloads = f.hub.cdnDownloads();
    assertThat(downloads.stream().map(r -> rangeStart(r)).distinct().count())
        .isGreaterThanOrEqualTo(13);
    assertThat(downloads.stream().map(r -> r.getHeaders().get("Range")))
        .contains("bytes=0-262143", "bytes=3145728-" + (size - 1));
  }

  static long rangeStart(RecordedRequest r) {
    String range = r.getHeaders().get("Range");
    assertThat(range).startsWith("bytes=");
    return Long.parseLong(range.substring(6, range.indexOf('-')));
  }
}
