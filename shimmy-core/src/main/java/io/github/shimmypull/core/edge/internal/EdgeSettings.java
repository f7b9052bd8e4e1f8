package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.Predicate;

/**
 * What every edge connection shares: where the application is, what it answers itself, the
 * supervisor to lease Shimmy from, the limits and timeouts, and the counter of forwarded requests.
 *
 * @param app base URL of the application server behind the edge, {@code http://HOST:PORT}
 * @param answeredByApp paths always handed to the application (its own API)
 * @param maxDirectBodyBytes requests with a larger declared body go to the application, which
 *     answers 413
 * @param countForwarded called with the status of every response Shimmy gave a direct request
 * @param router reads the model of a routed request (the same decision as the application's proxy)
 * @param acquireWait how long a WebSocket whose model is not running waits for its instance
 * @param blocking runs that wait off the event loops
 * @param countRouted called with the model of every routed request sent to its instance directly
 * @param bodyReadTimeout longest silence of a client while its request body is incomplete (408)
 * @param maxRequestBytes the application's pull body cap ({@code
 *     ShimmyHttpApi.Builder#maxRequestBytes})
 */
public record EdgeSettings(
    ShimmySupervisor supervisor,
    ModelRouter router,
    URI app,
    Predicate<String> answeredByApp,
    long maxDirectBodyBytes,
    Duration connectTimeout,
    Duration readTimeout,
    Duration idleTimeout,
    IntConsumer countForwarded,
    Duration acquireWait,
    Executor blocking,
    Consumer<String> countRouted,
    Duration bodyReadTimeout,
    long maxRequestBytes) {}
