package io.github.shimmypull.core.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.doubles.JdkHttpServer;
import io.github.shimmypull.core.doubles.ModelSupervisor;
import io.github.shimmypull.core.http.HttpHandler;
import io.github.shimmypull.core.proxy.ProxyContractTest;
import io.github.shimmypull.core.proxy.ShimmyProxy;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The proxy contract against the Netty edge, composed as in the server jar: the edge in front of an
 * application that runs a {@link ShimmyProxy} on the same supervisor, router and meters. Ready
 * instances are reached directly, everything else through the application.
 */
class ShimmyEdgeContractTest extends ProxyContractTest {

  private final AtomicInteger appRequests = new AtomicInteger();

  @Override
  protected URI start(ShimmySupervisor supervisor, ModelRouter router) throws IOException {
    ShimmyProxy proxy =
        ShimmyProxy.builder().supervisor(supervisor).router(router).meterRegistry(meters).build();
    HttpHandler counted =
        exchange -> {
          appRequests.incrementAndGet();
          proxy.handle(exchange);
        };
    JdkHttpServer app = servers.track(JdkHttpServer.start(counted));
    ShimmyEdge edge =
        servers.track(
            ShimmyEdge.builder()
                .supervisor(supervisor)
                .router(router)
                .meterRegistry(meters)
                .app(app.uri(""))
                .build()
                .start());
    return URI.create(edge.url());
  }

  /**
   * The edge leases a ready instance with {@code tryAcquire(model)} and never waits for one itself.
   */
  @Override
  protected void assertLeasedInOrder(ModelSupervisor supervisor, String... models) {
    assertThat(supervisor.triedModels()).containsExactly(models);
    assertThat(supervisor.acquiredModels()).as("nothing waited in the application").isEmpty();
  }

  @Override
  protected void assertHandedToTheApplication(int requests) {
    assertThat(appRequests).hasValue(requests);
  }
}
