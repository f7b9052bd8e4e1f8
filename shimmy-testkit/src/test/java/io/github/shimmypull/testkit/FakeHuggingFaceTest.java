package io.github.shimmypull.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeHuggingFaceTest {

  final MockWebServer server = new MockWebServer();
  final OkHttpClient client = new OkHttpClient.Builder().followRedirects(false).build();
  final FakeFile file = FakeFile.seeded(200_000, 3);
  FakeHuggingFace hub;

  @BeforeEach
  void start() throws Exception {
    hub =
        FakeHuggingFace.builder()
            .file("a/b", "dir/x-Q4_K_M.gguf", file)
            .file("a/b", "y.gguf", FakeFile.of(new byte[] {1, 2, 3}))
            .treePageSize(1)
            .token("hf_t")
            .gated("a/g")
            .file("a/g", "g.gguf", FakeFile.seeded(10, 1))
            .build();
    server.setDispatcher(hub);
    server.start(InetAddress.getByName("127.0.0.1"), 0);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  Response get(String path, String... headers) throws Exception {
    Request.Builder b = new Request.Builder().url("http://127.0.0.1:" + server.getPort() + path);
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return client.newCall(b.build()).execute();
  }

  @Test
  void resolveRedirectsToTheCdnOnTheOtherHostNameWithLinkedHeaders() throws Exception {
    try (Response r = get("/a/b/resolve/main/dir/x-Q4_K_M.gguf")) {
      assertThat(r.code()).isEqualTo(302);
      assertThat(r.header("X-Repo-Commit")).isEqualTo(hub.head("a/b")).hasSize(40);
      assertThat(r.header("X-Linked-Etag")).isEqualTo("\"" + file.sha256() + "\"");
      assertThat(r.header("X-Linked-Size")).isEqualTo("200000");
      assertThat(r.header("Location"))
          .startsWith("http://localhost:" + server.getPort() + "/cdn/" + file.sha256());
    }
  }

  @Test
  void cdnServesRangesAndRefusesRangesPastTheEnd() throws Exception {
    String cdn = "/cdn/" + file.sha256() + "?repo=a/b&path=dir/x-Q4_K_M.gguf";
    byte[] expected = new byte[100];
    file.read(1000, expected, 0, 100);
    try (Response r = get(cdn, "Range", "bytes=1000-1099")) {
      assertThat(r.code()).isEqualTo(206);
      assertThat(r.header("Content-Range")).isEqualTo("bytes 1000-1099/200000");
      assertThat(r.body().bytes()).isEqualTo(expected);
    }
    try (Response r = get(cdn, "Range", "bytes=200000-")) {
      assertThat(r.code()).isEqualTo(416);
    }
    try (Response r = get(cdn, "Authorization", "Bearer hf_t")) {
      assertThat(r.code()).isEqualTo(400);
    }
  }

  @Test
  void headErrorRepliesHaveNoBodySoTheKeepAliveConnectionStaysUsable() throws Exception {
    for (int i = 0; i < 3; i++) {
      Request head =
          new Request.Builder()
              .url("http://127.0.0.1:" + server.getPort() + "/a/g/resolve/main/g.gguf")
              .head()
              .build();
      try (Response r = client.newCall(head).execute()) {
        assertThat(r.code()).isEqualTo(401);
        assertThat(r.header("X-Error-Code")).isEqualTo("GatedRepo");
        assertThat(r.body().bytes()).isEmpty();
      }
    }
    List<RecordedRequest> heads = hub.requests(r -> r.getMethod().equals("HEAD"));
    assertThat(heads).hasSize(3);
    assertThat(heads)
        .extracting(RecordedRequest::getConnectionIndex)
        .containsOnly(heads.get(0).getConnectionIndex());
  }

  @Test
  void refuseRangeAnswers416ToTheNextRangedCdnGet() throws Exception {
    String cdn = "/cdn/" + file.sha256() + "?repo=a/b&path=dir/x-Q4_K_M.gguf";
    hub.inject("a/b", "dir/x-Q4_K_M.gguf", HubFault.refuseRange(), 1);
    try (Response r = get(cdn, "Range", "bytes=1000-")) {
      assertThat(r.code()).isEqualTo(416);
      assertThat(r.header("Content-Range")).isEqualTo("bytes */200000");
    }
    try (Response r = get(cdn, "Range", "bytes=1000-")) {
      assertThat(r.code()).isEqualTo(206);
    }
  }

  @Test
  void treeIsPaginatedWithLfsEntriesAndDirectories() throws Exception {
    try (Response r = get("/api/models/a/b/tree/main?recursive=true")) {
      assertThat(r.body().string()).contains("\"type\":\"directory\"", "\"path\":\"dir\"");
      assertThat(r.header("Link")).contains("cursor=1", "rel=\"next\"");
    }
    try (Response r = get("/api/models/a/b/tree/main?recursive=true&cursor=1")) {
      assertThat(r.body().string())
          .contains("\"lfs\":{\"oid\":\"" + file.sha256() + "\",\"size\":200000");
    }
  }

  @Test
  void errorsCarryTheHubsErrorCodes() throws Exception {
    try (Response r = get("/a/nope/resolve/main/x.gguf")) {
      assertThat(r.code()).isEqualTo(401);
      assertThat(r.header("X-Error-Code")).isEqualTo("RepoNotFound");
    }
    try (Response r = get("/a/b/resolve/v9/y.gguf")) {
      assertThat(r.header("X-Error-Code")).isEqualTo("RevisionNotFound");
    }
    try (Response r = get("/a/b/resolve/main/z.gguf")) {
      assertThat(r.header("X-Error-Code")).isEqualTo("EntryNotFound");
    }
    try (Response r = get("/a/g/resolve/main/g.gguf")) {
      assertThat(r.header("X-Error-Code")).isEqualTo("GatedRepo");
    }
    try (Response r = get("/a/g/resolve/main/g.gguf", "Authorization", "Bearer hf_t")) {
      assertThat(r.code()).isEqualTo(302);
    }
  }

  @Test
  void commitsMoveMainAndOldCommitsStayResolvable() throws Exception {
    String first = hub.head("a/b");
    String second = hub.commit("a/b", Map.of("y.gguf", FakeFile.seeded(50, 9)));

    assertThat(hub.head("a/b")).isEqualTo(second).isNotEqualTo(first);
    try (Response r = get("/a/b/resolve/" + first + "/y.gguf")) {
      assertThat(r.header("X-Linked-Size")).isEqualTo("3");
    }
    try (Response r = get("/api/models/a/b/revision/main")) {
      assertThat(r.body().string()).contains("\"sha\":\"" + second + "\"");
    }
  }

  @Test
  void injectedStatusFaultsAnswerTheNextResolveGets() throws Exception {
    hub.inject("a/b", "y.gguf", HubFault.status(503), 1);

    try (Response r = get("/a/b/resolve/main/y.gguf")) {
      assertThat(r.code()).isEqualTo(503);
    }
    try (Response r = get("/a/b/resolve/main/y.gguf")) {
      assertThat(r.code()).isEqualTo(302);
    }
    assertThat(hub.requests()).hasSize(2);
  }
}
