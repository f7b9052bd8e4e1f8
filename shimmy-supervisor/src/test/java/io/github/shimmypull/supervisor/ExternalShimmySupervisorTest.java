package io.github.shimmypull.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.testkit.Await;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExternalShimmySupervisorTest {

  private final MockWebServer shimmy = new MockWebServer();
  private final OkHttpClient client = new OkHttpClient();
  private volatile int healthStatus = 200;
  private volatile String models = "tiny";
  private ExternalShimmySupervisor supervisor;

  @BeforeEach
  void startFakeShimmy() throws IOException {
    shimmy.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String path = request.getUrl().encodedPath();
            if (path.equals("/health")) {
              return new MockResponse.Builder()
                  .code(healthStatus)
                  .body("{\"status\":\"ok\"}")
                  .build();
            }
            if (path.equals("/v1/models")) {
              StringBuilder data = new StringBuilder();
              for (String id : models.split(",")) {
                if (!id.isEmpty()) {
                  data.append(data.length() == 0 ? "" : ",")
                      .append("{\"id\":\"")
                      .append(id)
                      .append("\",\"object\":\"model\"}");
                }
              }
              return new MockResponse.Builder()
                  .body("{\"object\":\"list\",\"data\":[" + data + "]}")
                  .build();
            }
            return new MockResponse.Builder().code(404).build();
          }
        });
    shimmy.start();
    supervisor = new ExternalShimmySupervisor(shimmy.url("/").uri(), client, Duration.ofMillis(50));
  }

  @AfterEach
  void stop() {
    supervisor.stop();
    shimmy.close();
  }

  @Test
  void reportsReadyWithTheServedModelsAndLeasesTheFixedUrl() {
    supervisor.start();

    BackendState state = awaitState(s -> s.status() == BackendStatus.READY);

    assertThat(state.models()).containsExactly("tiny");
    assertThat(state.port()).isEqualTo(shimmy.getPort());
    try (Lease lease = supervisor.acquire()) {
      assertThat(lease.baseUrl()).isEqualTo(shimmy.url("/").uri());
    }
    try (Lease lease = supervisor.acquire("tiny", java.time.Duration.ofSeconds(5))) {
      assertThat(lease.baseUrl())
          .as("a per-model lease is the one URL too")
          .isEqualTo(shimmy.url("/").uri());
    }
    try (Lease lease = supervisor.tryAcquire("tiny")) {
      assertThat(lease).isNotNull();
      assertThat(lease.baseUrl()).isEqualTo(shimmy.url("/").uri());
    }
  }

  @Test
  void reportsUnavailableWithTheReasonWhenHealthFailsAndRecoversWhenItAnswersAgain() {
    List<BackendStatus> seen = new CopyOnWriteArrayList<>();
    supervisor.addListener(s -> seen.add(s.status()));
    healthStatus = 503;
    supervisor.start();

    BackendState down = awaitState(s -> s.status() == BackendStatus.UNAVAILABLE);
    assertThat(down.reason()).contains("503");
    assertThatThrownBy(supervisor::acquire)
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> assertThat(e.reason()).isEqualTo(SupervisorException.Reason.NO_BACKEND))
        .hasMessageContaining("unavailable");

    healthStatus = 200;
    awaitState(s -> s.status() == BackendStatus.READY);
    assertThat(seen).containsSubsequence(BackendStatus.UNAVAILABLE, BackendStatus.READY);
  }

  @Test
  void reportsUnavailableWhenNothingListensAtTheUrl() throws IOException {
    int freePort;
    try (ServerSocket socket = new ServerSocket(0)) {
      freePort = socket.getLocalPort();
    }
    supervisor.stop();
    supervisor =
        new ExternalShimmySupervisor(
            URI.create("http://127.0.0.1:" + freePort), client, Duration.ofMillis(50));
    supervisor.start();

    BackendState state = awaitState(s -> s.status() == BackendStatus.UNAVAILABLE);

    assertThat(state.reason()).contains("cannot reach");
  }

  @Test
  void acquireWithAWaitAnswersAtOnceWhenShimmyIsUnavailable() {
    healthStatus = 500;
    supervisor.start();
    awaitState(s -> s.status() == BackendStatus.UNAVAILABLE);

    long started = System.nanoTime();
    assertThatThrownBy(() -> supervisor.acquire(Duration.ofSeconds(30)))
        .isInstanceOf(SupervisorException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void restartReturnsOnceTheExternalShimmyServesTheExpectedIds() {
    supervisor.start();
    models = "tiny,new-model";

    supervisor.restart(List.of("new-model"), Duration.ofSeconds(10));

    assertThat(supervisor.state().models()).contains("new-model");
  }

  @Test
  void restartFailsWithAMessageTellingTheOperatorToRestartShimmy() {
    supervisor.start();

    assertThatThrownBy(() -> supervisor.restart(List.of("new-model"), Duration.ofMillis(300)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> assertThat(e.reason()).isEqualTo(SupervisorException.Reason.READY_TIMEOUT))
        .hasMessageContaining("[new-model]")
        .hasMessageContaining("restart it");
  }

  @Test
  void stopEndsPollingAndRefusesLeases() {
    Set<Thread> others = pollers();
    supervisor.start();
    awaitState(s -> s.status() == BackendStatus.READY);
    Set<Thread> ours = new HashSet<>(pollers());
    ours.removeAll(others);
    assertThat(ours).as("the supervisor's poller thread").hasSize(1);

    supervisor.stop();
    int requestsAtStop = shimmy.getRequestCount();
    Await.until(
        Duration.ofSeconds(20),
        "the poller thread ended",
        () -> ours.stream().noneMatch(Thread::isAlive));

    assertThat(supervisor.state().status()).isEqualTo(BackendStatus.STOPPED);
    assertThat(shimmy.getRequestCount()).isLessThanOrEqualTo(requestsAtStop + 2);
    assertThatThrownBy(supervisor::acquire).isInstanceOf(SupervisorException.class);
  }

  @Test
  void rejectsAUrlThatIsNotHttp() {
    assertThatThrownBy(() -> new ExternalShimmySupervisor(URI.create("ftp://x"), client))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shimmy.external-url");
  }

  private BackendState awaitState(Predicate<BackendState> condition) {
    return Await.until(Duration.ofSeconds(20), "the state condition", supervisor::state, condition);
  }

  /** The health poller threads alive now. */
  private static Set<Thread> pollers() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("shimmy-external-health"))
        .collect(Collectors.toSet());
  }
}
