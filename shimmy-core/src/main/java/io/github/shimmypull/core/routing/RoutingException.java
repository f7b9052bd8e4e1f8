package io.github.shimmypull.core.routing;

import io.github.shimmypull.core.internal.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request that cannot be routed to a model: it names an unknown model, names none while several
 * are served, or names it too late in its body. Fronts answer it with {@link Reason#httpStatus()}
 * and {@link #body()}, OpenAI's error shape, before anything is started or forwarded.
 */
public final class RoutingException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Why a request cannot be routed. */
  public enum Reason {
    /** The body names a model that is not served (404, {@code model_not_found}). */
    MODEL_NOT_FOUND(404, "model_not_found"),
    /**
     * The body names no model and there is no default or only model (400, {@code model_required}).
     */
    MODEL_REQUIRED(400, "model_required"),
    /** {@code model} is not a string (400, {@code invalid_model}). */
    INVALID_MODEL(400, "invalid_model"),
    /**
     * The body is longer than the routing prefix and {@code model} is not within it (400, {@code
     * model_not_in_prefix}).
     */
    MODEL_NOT_IN_PREFIX(400, "model_not_in_prefix");

    private final int httpStatus;
    private final String code;

    Reason(int httpStatus, String code) {
      this.httpStatus = httpStatus;
      this.code = code;
    }

    /** The HTTP status a front answers with. */
    public int httpStatus() {
      return httpStatus;
    }

    /** The stable wire code ({@code error.code}). */
    public String code() {
      return code;
    }
  }

  private final Reason reason;

  public RoutingException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** An unknown model, with the message Shimmy itself gives (listing the available ids). */
  public static RoutingException notFound(String model, List<String> available) {
    StringBuilder list = new StringBuilder("[");
    for (int i = 0; i < available.size(); i++) {
      list.append(i == 0 ? "" : ", ").append('"').append(available.get(i)).append('"');
    }
    list.append(']');
    return new RoutingException(
        Reason.MODEL_NOT_FOUND, "Model '" + model + "' not found. Available models: " + list);
  }

  public Reason reason() {
    return reason;
  }

  /**
   * The JSON answer in OpenAI's error shape: {@code {"error":{"message","type":
   * "invalid_request_error","param":"model","code"}}}.
   */
  public byte[] body() {
    return openAiError(
        String.valueOf(getMessage()), "invalid_request_error", "model", reason.code());
  }

  /** An OpenAI-shaped error body. */
  static byte[] openAiError(String message, String type, String param, String code) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("message", message);
    error.put("type", type);
    error.put("param", param);
    error.put("code", code);
    return Json.writeBytes(Map.of("error", error));
  }
}
