package io.github.shimmypull.testkit.internal.shimmy;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The fake Shimmy's fault-injection settings, read from its environment. */
public record Knobs(
    long startupDelayMs,
    long tokenDelayMs,
    int tokens,
    long crashAfterMs,
    int crashAfterRequests,
    int crashExitCode,
    @Nullable Integer refuseStartExitCode,
    boolean hang,
    boolean readyNoBind,
    @Nullable String refuseModel,
    @Nullable String faultModel,
    @Nullable String crashMidStreamOn) {

  /**
   * These knobs for a {@code serve} that found {@code ids}: with a fault model set and no id
   * containing it, the crash knobs are off.
   */
  public Knobs forModels(java.util.List<String> ids) {
    if (faultModel == null || ids.stream().anyMatch(id -> id.contains(faultModel))) {
      return this;
    }
    return new Knobs(
        startupDelayMs,
        tokenDelayMs,
        tokens,
        0,
        0,
        crashExitCode,
        refuseStartExitCode,
        hang,
        readyNoBind,
        refuseModel,
        faultModel,
        crashMidStreamOn);
  }

  /** Reads the {@code FAKE_SHIMMY_*} variables; see {@code FakeShimmy} for their meaning. */
  public static Knobs from(Map<String, String> env) {
    String refuse = env.get("FAKE_SHIMMY_REFUSE_START");
    return new Knobs(
        longOf(env, "FAKE_SHIMMY_STARTUP_DELAY_MS", 0),
        longOf(env, "FAKE_SHIMMY_TOKEN_DELAY_MS", 0),
        (int) longOf(env, "FAKE_SHIMMY_TOKENS", 3),
        longOf(env, "FAKE_SHIMMY_CRASH_AFTER_MS", 0),
        (int) longOf(env, "FAKE_SHIMMY_CRASH_AFTER_REQUESTS", 0),
        (int) longOf(env, "FAKE_SHIMMY_CRASH_EXIT_CODE", 101),
        refuse == null || refuse.isBlank() ? null : Integer.valueOf(refuse.trim()),
        flag(env, "FAKE_SHIMMY_HANG"),
        flag(env, "FAKE_SHIMMY_READY_NO_BIND"),
        nonBlank(env.get("FAKE_SHIMMY_REFUSE_MODEL")),
        nonBlank(env.get("FAKE_SHIMMY_FAULT_MODEL")),
        nonBlank(env.get("FAKE_SHIMMY_CRASH_MID_STREAM_ON")));
  }

  private static long longOf(Map<String, String> env, String name, long fallback) {
    String v = env.get(name);
    return v == null || v.isBlank() ? fallback : Long.parseLong(v.trim());
  }

  private static @Nullable String nonBlank(@Nullable String v) {
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static boolean flag(Map<String, String> env, String name) {
    String v = env.get(name);
    return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes"));
  }
}
