package io.github.shimmypull.testkit.internal.shimmy;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** The fake Shimmy's command line and {@code serve} start-up sequence (shimmy-contract §1, §2). */
public final class FakeShimmyProcess {

  /** The version the fake reports. */
  public static final String VERSION = "2.5.0";

  private static final Pattern IPV4_BIND =
      Pattern.compile("^(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}):(\\d{1,5})$");
  private static final Pattern IPV6_BIND = Pattern.compile("^\\[([0-9A-Fa-f:.]+)\\]:(\\d{1,5})$");

  private final PrintStream out =
      new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
  private final PrintStream err =
      new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
  private final Map<String, String> env;

  private @Nullable String command;
  private String bind = "auto";
  private @Nullable String modelPath;
  private boolean shortList;
  private boolean llmOnly;
  private boolean legacy;
  private String kvQuant = "f32";
  private final List<String> positional = new ArrayList<>();

  private FakeShimmyProcess(Map<String, String> env) {
    this.env = new HashMap<>(env);
  }

  /**
   * Like Shimmy, which installs no signal handler: SIGTERM and SIGINT end the process at once (exit
   * status 143 / 130), without the JVM's orderly shutdown.
   */
  @SuppressWarnings("removal")
  public static void dieAtOnceOnSignals() {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> Runtime.getRuntime().halt(143));
      sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> Runtime.getRuntime().halt(130));
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // No such signal here (Windows): the JVM's default handling ends the process anyway.
    }
  }

  /**
   * Runs the fake with these arguments; returns only when the process should exit with the code.
   */
  public static int run(String[] args) {
    return new FakeShimmyProcess(System.getenv()).execute(args);
  }

  private int execute(String[] args) {
    Integer usage = parse(args);
    if (usage != null) {
      return usage;
    }
    Knobs knobs;
    try {
      knobs = Knobs.from(env);
    } catch (NumberFormatException e) {
      err.println("Error: bad FAKE_SHIMMY_* setting: " + e.getMessage());
      return 1;
    }
    if ("serve".equals(command)) {
      if (knobs.refuseStartExitCode() != null) {
        err.println(
            "Error: fake shimmy refused to start (FAKE_SHIMMY_REFUSE_START="
                + knobs.refuseStartExitCode()
                + ")");
        return knobs.refuseStartExitCode();
      }
      if (knobs.hang()) {
        sleepForever();
      }
      sleep(knobs.startupDelayMs());
    }
    Registry registry = new Registry();
    List<Path> roots = ModelScan.roots(env);
    registry.addDiscovered(ModelScan.byName(ModelScan.scan(roots)));
    String base = env.get("SHIMMY_BASE_GGUF");
    if (base != null) {
      registry.addManual("tinyllama-1.1b", Paths.get(base));
    }
    switch (command == null ? "" : command) {
      case "serve":
        String refused = refusedModel(registry, knobs);
        if (refused != null) {
          err.println(
              "Error: failed to start with model '"
                  + refused
                  + "': unsupported model (FAKE_SHIMMY_REFUSE_MODEL="
                  + knobs.refuseModel()
                  + ")");
          return 1;
        }
        return serve(registry, roots, knobs.forModels(registry.allIds()));
      case "list":
        return list(registry);
      case "discover":
        return discover(roots);
      case "probe":
        if (registry.find(positional.get(0)) == null) {
          err.println("Error: no model " + positional.get(0));
          return 1;
        }
        out.println("ok: loaded " + positional.get(0));
        return 0;
      case "gpu-info":
        out.println("🖥️  GPU Backend Information");
        out.println();
        out.println("⚡ Airframe Engine: ✅ Enabled (WebGPU via wgpu)");
        return 0;
      default:
        return usageError("unrecognized subcommand '" + command + "'");
    }
  }

  /** The first scanned id containing the {@code FAKE_SHIMMY_REFUSE_MODEL} text, if any. */
  private static @Nullable String refusedModel(Registry registry, Knobs knobs) {
    String needle = knobs.refuseModel();
    if (needle == null) {
      return null;
    }
    for (String id : registry.allIds()) {
      if (id.contains(needle)) {
        return id;
      }
    }
    return null;
  }

  private @Nullable Integer parse(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        value = arg.substring(eq + 1);
        arg = arg.substring(0, eq);
      }
      switch (arg) {
        case "-V":
        case "--version":
          out.println("shimmy " + VERSION);
          return 0;
        case "-h":
        case "--help":
          out.println("Usage: shimmy [OPTIONS] <COMMAND>");
          out.println();
          out.println("Commands: serve, list, discover, probe, gpu-info");
          return 0;
        case "--legacy":
          legacy = true;
          continue;
        case "--cpu-moe":
          continue;
        case "-s":
        case "--short":
          if (!"list".equals(command)) {
            return usageError("unexpected argument '" + arg + "' found");
          }
          shortList = true;
          continue;
        case "--llm-only":
          if (!"discover".equals(command)) {
            return usageError("unexpected argument '" + arg + "' found");
          }
          llmOnly = true;
          continue;
        case "--model-dirs":
        case "--gpu-backend":
        case "--n-cpu-moe":
        case "--kv-quant":
        case "--prefill-chunk":
        case "--ctx":
        case "--bind":
        case "--model-path":
          if (value == null) {
            if (i + 1 >= args.length) {
              return usageError(
                  "a value is required for '" + arg + " <VALUE>' but none was supplied");
            }
            value = args[++i];
          }
          Integer bad = option(arg, value);
          if (bad != null) {
            return bad;
          }
          continue;
        default:
          if (arg.startsWith("-")) {
            return usageError("unexpected argument '" + arg + "' found");
          }
          if (command == null) {
            command = arg;
          } else {
            positional.add(arg);
          }
      }
    }
    if (command == null) {
      return usageError("'shimmy' requires a subcommand but one was not provided");
    }
    if (command.equals("probe") && positional.size() != 1) {
      return usageError("the following required arguments were not provided: <NAME>");
    }
    return null;
  }

  private @Nullable Integer option(String name, String value) {
    switch (name) {
      case "--model-dirs":
        env.put("SHIMMY_MODEL_PATHS", value);
        return null;
      case "--kv-quant":
        if (!value.equals("f32") && !value.equals("int4")) {
          return usageError("invalid value '" + value + "' for '--kv-quant <KV_QUANT>'");
        }
        kvQuant = value;
        return null;
      case "--bind":
      case "--model-path":
        if (!"serve".equals(command)) {
          return usageError("unexpected argument '" + name + "' found");
        }
        if (name.equals("--bind")) {
          bind = value;
        } else {
          modelPath = value;
        }
        return null;
      case "--n-cpu-moe":
      case "--prefill-chunk":
      case "--ctx":
        try {
          Long.parseLong(value);
        } catch (NumberFormatException e) {
          return usageError("invalid value '" + value + "' for '" + name + " <N>'");
        }
        return null;
      default:
        return null;
    }
  }

  private int usageError(String message) {
    err.println("error: " + message);
    err.println();
    err.println("Usage: shimmy [OPTIONS] <COMMAND>");
    err.println();
    err.println("For more information, try '--help'.");
    return 2;
  }

  private int serve(Registry registry, List<Path> roots, Knobs knobs) {
    if (modelPath != null) {
      Path p = Paths.get(modelPath);
      if (!Files.exists(p)) {
        err.println("❌ Model file not found: " + modelPath);
        return 1;
      }
      String name = p.getFileName().toString();
      int dot = name.lastIndexOf('.');
      String stem = dot > 0 ? name.substring(0, dot) : name;
      registry.addManual(stem, p);
      out.println("🎯 Direct model loaded: " + stem + " -> " + modelPath);
    }
    InetSocketAddress address;
    try {
      address = resolveBind();
    } catch (IllegalArgumentException e) {
      err.println("❌ Failed to resolve bind address '" + bind + "': " + e.getMessage());
      err.println();
      err.println("💡 Valid bind address examples:");
      err.println("  auto                    # Auto-allocate (default)");
      err.println("  127.0.0.1:11435        # Specific address");
      err.println("  0.0.0.0:8080           # All interfaces");
      err.println();
      err.println("🔧 Environment variable: SHIMMY_BIND_ADDRESS=127.0.0.1:11435");
      return 1;
    }
    out.println("🎯 Shimmy v" + VERSION);
    if (!legacy) {
      if (kvQuant.equals("int4")) {
        out.println("⚡ Backend: Airframe (GPU) + TurboShimmy INT4 KV — ~60% less VRAM");
        out.println("📦 Models: " + registry.manualEntries().size() + " available");
        out.println("💡 TurboShimmy active: enable with --kv-quant int4 (already on)");
      } else {
        out.println("🔧 Backend: Airframe (GPU)");
        out.println("📦 Models: " + registry.manualEntries().size() + " available");
        out.println("💡 Tip: add --kv-quant int4 to enable TurboShimmy (INT4 KV, ~60% less VRAM)");
      }
    } else {
      out.println("📦 Models: " + registry.manualEntries().size() + " available");
    }
    out.println("🚀 Starting server on " + format(address));
    List<String> ids = registry.allIds();
    if (ids.isEmpty()) {
      err.println("❌ No models available. Please:");
      err.println("   • Set SHIMMY_BASE_GGUF environment variable, or");
      err.println("   • Place .gguf files in ./models/ directory, or");
      err.println("   • Place .gguf files in ~/.cache/huggingface/hub/");
      return 1;
    }
    out.println("📦 Models: " + ids.size() + " available");
    out.println("✅ Ready to serve requests");
    out.println("   • POST /api/generate (streaming + non-streaming)");
    out.println("   • GET  /health (health check + metrics)");
    out.println("   • GET  /v1/models (OpenAI-compatible)");
    if (knobs.readyNoBind()) {
      sleepForever();
    }
    try {
      FakeShimmyServer.start(address, registry, roots, knobs, err);
    } catch (BindException e) {
      err.println("Error: Address already in use (os error 98)");
      return 1;
    } catch (IOException e) {
      err.println("Error: " + e.getMessage());
      return 1;
    }
    return -1;
  }

  private InetSocketAddress resolveBind() {
    String spec = bind;
    if (spec.equals("auto")) {
      String fromEnv = env.get("SHIMMY_BIND_ADDRESS");
      if (fromEnv != null) {
        return parseSocketAddress(fromEnv);
      }
      InetAddress loopback = InetAddress.getLoopbackAddress();
      for (int port = 11435; port <= 11535; port++) {
        try (ServerSocket probe = new ServerSocket(port, 1, loopback)) {
          return new InetSocketAddress(loopback, port);
        } catch (IOException busy) {
          // Try the next port, as Shimmy's allocator does.
        }
      }
      return new InetSocketAddress(loopback, 0);
    }
    return parseSocketAddress(spec);
  }

  private static InetSocketAddress parseSocketAddress(String spec) {
    Matcher v4 = IPV4_BIND.matcher(spec);
    Matcher v6 = IPV6_BIND.matcher(spec);
    String host;
    String port;
    if (v4.matches()) {
      host = v4.group(1);
      port = v4.group(2);
      for (String octet : host.split("\\.")) {
        if (Integer.parseInt(octet) > 255) {
          throw new IllegalArgumentException("invalid socket address syntax");
        }
      }
    } else if (v6.matches()) {
      host = v6.group(1);
      port = v6.group(2);
    } else {
      throw new IllegalArgumentException("invalid socket address syntax");
    }
    int p = Integer.parseInt(port);
    if (p > 65535) {
      throw new IllegalArgumentException("invalid socket address syntax");
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), p);
    } catch (IOException e) {
      throw new IllegalArgumentException("invalid socket address syntax");
    }
  }

  private static String format(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  private int list(Registry registry) {
    if (shortList) {
      for (String id : registry.allIds()) {
        out.println(id);
      }
      return 0;
    }
    List<Registry.Entry> manual = registry.manualEntries();
    if (!manual.isEmpty()) {
      out.println("📋 Registered Models:");
      for (Registry.Entry e : manual) {
        out.println("  " + e.id() + " => " + debugQuote(e.path()));
      }
    }
    List<Registry.Entry> found = registry.discoveredEntries();
    if (!found.isEmpty()) {
      if (!manual.isEmpty()) {
        out.println();
      }
      out.println("🔍 Auto-Discovered Models:");
      for (Registry.Entry e : found) {
        out.println(
            "  "
                + e.id()
                + " => "
                + debugQuote(e.path())
                + " ["
                + (e.sizeBytes() / (1024 * 1024))
                + "MB"
                + (e.lora() != null ? " + LoRA" : "")
                + "]");
      }
    }
    if (registry.allIds().isEmpty()) {
      out.println("❌ No models found. Set SHIMMY_BASE_GGUF or place .gguf files in ./models/");
    } else {
      out.println();
      out.println("✅ Total available models: " + registry.allIds().size());
    }
    return 0;
  }

  private int discover(List<Path> roots) {
    out.println("🔍 Refreshing model discovery...");
    Map<String, ModelScan.Found> found = ModelScan.byName(ModelScan.scan(roots));
    if (llmOnly) {
      found.keySet().removeIf(FakeShimmyProcess::notAnLlm);
      out.println("🎯 Filtering to LLM models only...");
    }
    if (found.isEmpty()) {
      if (llmOnly) {
        out.println("❌ No LLM models found after filtering");
        out.println("💡 Try running without --llm-only to see all models");
      } else {
        out.println("❌ No models found in search paths:");
        for (Path root : roots) {
          out.println("   • " + debugQuote(root));
        }
        out.println("   • Ollama models (if installed)");
        out.println();
        out.println("💡 Try downloading a GGUF model or setting SHIMMY_BASE_GGUF");
      }
      return 0;
    }
    out.println("✅ Found " + found.size() + " models:");
    for (ModelScan.Found f : found.values()) {
      out.println(
          "  "
              + f.name()
              + " ["
              + (f.sizeBytes() / (1024 * 1024))
              + "MB"
              + (f.loraPath() != null ? " + LoRA" : "")
              + "]");
      out.println("    Base: " + debugQuote(f.path()));
      if (f.loraPath() != null) {
        out.println("    LoRA: " + debugQuote(f.loraPath()));
      }
    }
    return 0;
  }

  private static boolean notAnLlm(String id) {
    String lower = id.toLowerCase(Locale.ROOT);
    for (String word :
        List.of(
            "clip",
            "text-to-image",
            "vision",
            "image",
            "video",
            "audio",
            "tts",
            "stt",
            "embedding",
            "encoder")) {
      if (lower.contains(word)) {
        return true;
      }
    }
    return false;
  }

  private static String debugQuote(Path path) {
    return "\"" + path.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static void sleep(long millis) {
    if (millis <= 0) {
      return;
    }
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleepForever() {
    while (true) {
      sleep(Long.MAX_VALUE);
    }
  }
}
