package io.github.shimmypull.core.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class UpstreamPoolTest {

  private static final URI SHIMMY = URI.create("http://127.0.0.1:41234");
  private static final URI APP = URI.create("http://127.0.0.1:41235");

  private final AtomicLong now = new AtomicLong();
  private final UpstreamPool pool = new UpstreamPool(Duration.ofSeconds(20), now::get);

  @Test
  void reusesTheMostRecentlyReleasedConnectionToTheSameAddress() {
    EmbeddedChannel older = new EmbeddedChannel();
    EmbeddedChannel newer = new EmbeddedChannel();
    pool.offer(SHIMMY, older);
    pool.offer(SHIMMY, newer);

    assertThat(pool.take(APP)).isNull();
    assertThat(pool.take(SHIMMY)).isSameAs(newer);
    assertThat(pool.take(SHIMMY)).isSameAs(older);
    assertThat(pool.take(SHIMMY)).isNull();
  }

  @Test
  void closesConnectionsIdleLongerThanTheLimitInsteadOfReusingThem() {
    EmbeddedChannel stale = new EmbeddedChannel();
    pool.offer(APP, stale);
    now.addAndGet(Duration.ofSeconds(15).toNanos());
    EmbeddedChannel fresh = new EmbeddedChannel();
    pool.offer(APP, fresh);
    now.addAndGet(Duration.ofSeconds(10).toNanos());

    assertThat(pool.take(APP)).isSameAs(fresh);
    assertThat(stale.isOpen()).as("idle 25 s: closed while looking").isFalse();
    now.addAndGet(Duration.ofSeconds(21).toNanos());
    pool.offer(APP, fresh);
    now.addAndGet(Duration.ofSeconds(21).toNanos());
    assertThat(pool.take(APP)).isNull();
    assertThat(fresh.isOpen()).isFalse();
  }

  @Test
  void forgetsAndSkipsConnectionsThatClosed() {
    EmbeddedChannel closed = new EmbeddedChannel();
    EmbeddedChannel open = new EmbeddedChannel();
    pool.offer(SHIMMY, open);
    pool.offer(SHIMMY, closed);
    closed.close();

    assertThat(pool.take(SHIMMY)).isSameAs(open);
    pool.offer(SHIMMY, open);
    pool.remove(SHIMMY, open);
    assertThat(pool.take(SHIMMY)).isNull();
  }
}
