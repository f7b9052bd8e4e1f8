package io.github.shimmypull.examples.springboot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application that serves its own endpoints plus, through the starter, the
 * shimmy-pull API and the proxy to Shimmy. Everything about Shimmy is set in {@code shimmy.*}
 * properties (see application.properties).
 */
@SpringBootApplication
public class ExampleApplication {

  public static void main(String[] args) {
    SpringApplication.run(ExampleApplication.class, args);
  }
}
