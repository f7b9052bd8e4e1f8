package io.github.shimmypull.examples.springai;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * An ordinary Spring AI application: nothing in it knows about shimmy-pull. Its
 * application.properties points Spring AI's Ollama starter at shimmy-pull, which pulls the Hugging
 * Face model at start-up ({@code when_missing}) and serves it with Shimmy.
 */
@SpringBootApplication
public class SpringAiExampleApplication {

  public static void main(String[] args) {
    SpringApplication.run(SpringAiExampleApplication.class, args);
  }
}
