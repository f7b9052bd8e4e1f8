package io.github.shimmypull.spring;

import io.github.shimmypull.spring.internal.JsonErrorReportValve;
import org.apache.catalina.Container;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * On Tomcat, the errors Tomcat answers itself before any servlet runs are JSON like every other
 * error of the starter ({@link JsonErrorReportValve} replaces the host's HTML error report).
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({Tomcat.class, ConfigurableTomcatWebServerFactory.class})
public final class ShimmyTomcatErrorsAutoConfiguration {

  @Bean
  WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> shimmyJsonTomcatErrors() {
    return factory ->
        factory.addContextCustomizers(
            context ->
                context.addLifecycleListener(
                    event -> {
                      if (Lifecycle.BEFORE_START_EVENT.equals(event.getType())) {
                        useJsonErrorReports(context.getParent());
                      }
                    }));
  }

  private static void useJsonErrorReports(Container parent) {
    if (!(parent instanceof StandardHost host)) {
      return;
    }
    host.setErrorReportValveClass(JsonErrorReportValve.class.getName());
    Pipeline pipeline = host.getPipeline();
    for (Valve valve : pipeline.getValves()) {
      if (valve instanceof ErrorReportValve && !(valve instanceof JsonErrorReportValve)) {
        pipeline.removeValve(valve);
        pipeline.addValve(new JsonErrorReportValve());
      }
    }
  }
}
