package io.github.shimmypull.examples.embedded;

import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.supervisor.ProcessShimmySupervisor;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pulls a GGUF model from Hugging Face, starts Shimmy on it and asks it one question:
 *
 * <pre>
 * java AskShimmy MODEL_REF QUESTION [--model-dir DIR] [--shimmy-command CMD] [--hf-endpoint URL]
 * </pre>
 *
 * {@code HF_TOKEN} and {@code HF_ENDPOINT} are read from the environment.
 */
public final class AskShimmy {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private AskShimmy() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(args, System.out));
  }

  /** Runs the example, printing progress and the answer to {@code out}; returns the exit code. */
  public static int run(String[] args, PrintStream out) throws Exception {
    Options options = Options.parse(args);

    HuggingFacePuller puller =
        HuggingFacePuller.Builder.fromEnvironment()
            .modelDir(options.modelDir())
            .endpoint(options.hfEndpoint())
            .build();
    PullResult model =
        puller.pull(
            ModelRef.parse(options.modelRef()),
            false,
            event -> {
              if (!(event instanceof PullEvent.Downloading)) {
                out.println("pull: " + event.status());
              }
            });
    out.println("model " + model.modelId() + " is in " + options.modelDir());

    try (ProcessShimmySupervisor shimmy =
        ProcessShimmySupervisor.newBuilder(options.modelDir())
            .command(options.shimmyCommand())
            .build()) {
      shimmy.refresh(List.of(model.modelId()), Duration.ofMinutes(2));
      try (Lease lease = shimmy.acquire(model.modelId(), Duration.ofMinutes(2))) {
        out.println("answer: " + ask(lease.baseUrl(), model.modelId(), options.question()));
      }
    }
    return 0;
  }

  /** Asks Shimmy's native {@code /api/generate} for a complete (non-streamed) answer. */
  static String ask(URI shimmy, String modelId, String question) throws Exception {
    String body =
        JSON.writeValueAsString(
            java.util.Map.of(
                "model", modelId, "prompt", question, "stream", false, "max_tokens", 64));
    HttpRequest request =
        HttpRequest.newBuilder(shimmy.resolve("/api/generate"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    HttpResponse<String> response =
        HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          "Shimmy answered " + response.statusCode() + ": " + response.body());
    }
    return JSON.readTree(response.body()).path("response").asString();
  }

  record Options(
      String modelRef, String question, Path modelDir, String shimmyCommand, String hfEndpoint) {

    static Options parse(String[] args) {
      List<String> positional = new java.util.ArrayList<>();
      Path modelDir = Path.of("models");
      String command = "shimmy";
      String endpoint =
          System.getenv().getOrDefault("HF_ENDPOINT", HuggingFacePuller.DEFAULT_ENDPOINT);
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--model-dir" -> modelDir = Path.of(args[++i]);
          case "--shimmy-command" -> command = args[++i];
          case "--hf-endpoint" -> endpoint = args[++i];
          default -> positional.add(args[i]);
        }
      }
      if (positional.size() != 2) {
        throw new IllegalArgumentException(
            "usage: AskShimmy MODEL_REF QUESTION [--model-dir DIR] [--shimmy-command CMD] [--hf-endpoint URL]");
      }
      return new Options(positional.get(0), positional.get(1), modelDir, command, endpoint);
    }
  }
}
