package io.github.shimmypull.server.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LeakDetectionDefaultTest {

  private final ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();

  @AfterEach
  void restoreTheLevel() {
    ResourceLeakDetector.setLevel(before);
  }

  @Test
  void theServerJarRunsWithNettysLeakDetectorOff() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);

    ShimmyServer.leakDetectionOffUnlessConfigured(new Properties());

    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
  }

  @Test
  void anExplicitLeakDetectionLevelIsKept() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    Properties properties = new Properties();
    properties.setProperty("io.netty.leakDetection.level", "paranoid");

    ShimmyServer.leakDetectionOffUnlessConfigured(properties);

    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
  }
}
