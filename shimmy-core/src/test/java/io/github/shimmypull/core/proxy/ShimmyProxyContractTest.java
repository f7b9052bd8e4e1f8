package io.github.shimmypull.core.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.doubles.JdkHttpServer;
import io.github.shimmypull.core.doubles.ModelSupervisor;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import java.io.IOException;
import java.net.URI;

/** The proxy contract against the blocking {@link ShimmyProxy}, served by the JDK's HTTP server. */
class ShimmyProxyContractTest extends ProxyContractTest {

  @Override
  protected URI start(ShimmySupervisor supervisor, ModelRouter router) throws IOException {
    ShimmyProxy proxy =
        ShimmyProxy.builder().supervisor(supervisor).router(router).meterRegistry(meters).build();
    return servers.track(JdkHttpServer.start(proxy)).uri("");
  }

  /** The proxy leases with {@code acquire(model, wait)}, which starts a cold instance. */
  @Override
  protected void assertLeasedInOrder(ModelSupervisor supervisor, String... models) {
    assertThat(supervisor.acquiredModels()).containsExactly(models);
  }

  /** The proxy is the application: it answers every request itself. */
  @Override
  protected void assertHandedToTheApplication(int requests) {}
}
