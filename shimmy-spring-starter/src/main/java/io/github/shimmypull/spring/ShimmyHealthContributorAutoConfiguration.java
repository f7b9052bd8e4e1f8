package io.github.shimmypull.spring;

import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Registers {@link ShimmyHealthIndicator} as the {@code shimmy} health contributor when the
 * application has Actuator's health support; switch it off with {@code
 * management.health.shimmy.enabled=false}.
 */
@AutoConfiguration(after = ShimmyAutoConfiguration.class)
@ConditionalOnClass({HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnBean(ShimmySupervisor.class)
@ConditionalOnEnabledHealthIndicator("shimmy")
public final class ShimmyHealthContributorAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "shimmyHealthIndicator")
  ShimmyHealthIndicator shimmyHealthIndicator(ShimmySupervisor shimmySupervisor) {
    return new ShimmyHealthIndicator(shimmySupervisor);
  }
}
