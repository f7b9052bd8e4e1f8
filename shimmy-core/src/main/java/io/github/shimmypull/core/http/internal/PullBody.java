package io.github.shimmypull.core.http.internal;

import static io.github.shimmypull.core.http.internal.RequestBodies.invalid;

import io.github.shimmypull.core.internal.Json;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The body of {@code POST /v1/api/pull}, validated: known fields only, {@code model} required, each
 * field of its type.
 */
public record PullBody(
    String model,
    @Nullable String filename,
    @Nullable String revision,
    boolean stream,
    boolean force) {

  private static final Set<String> FIELDS =
      Set.of("model", "filename", "revision", "stream", "force");
  private static final String ALLOWED_FIELDS = "model, filename, revision, stream, force";

  /**
   * Parses a pull request body.
   *
   * @throws io.github.shimmypull.core.PullException INVALID_REQUEST naming what is wrong
   */
  public static PullBody parse(byte[] body) {
    JsonNode root;
    try {
      root = Json.readTree(body);
    } catch (JacksonException e) {
      throw invalid(notJson(e));
    }
    if (root == null || root.isMissingNode() || !root.isObject()) {
      throw invalid(
          "request body must be a JSON object such as {\"model\": \"owner/repo:Q4_K_M\"}");
    }
    for (String name : root.propertyNames()) {
      if (!FIELDS.contains(name)) {
        throw invalid("unknown field '" + name + "' (allowed: " + ALLOWED_FIELDS + ")");
      }
    }
    String model = stringField(root, "model");
    if (model == null || model.isBlank()) {
      throw invalid("field 'model' is required, e.g. {\"model\": \"owner/repo:Q4_K_M\"}");
    }
    return new PullBody(
        model.trim(),
        stringField(root, "filename"),
        stringField(root, "revision"),
        booleanField(root, "stream", true),
        booleanField(root, "force", false));
  }

  /**
   * Where the JSON broke, without the parser's internals (its class names, source excerpt, char
   * codes).
   */
  private static String notJson(JacksonException e) {
    String original = String.valueOf(e.getOriginalMessage());
    if (original.startsWith("Duplicate")) {
      int open = original.indexOf('"');
      int close = original.indexOf('"', open + 1);
      return open >= 0 && close > open
          ? "request body has a duplicate key '" + original.substring(open + 1, close) + "'"
          : "request body has a duplicate key";
    }
    var location = e.getLocation();
    if (location == null || location.getLineNr() < 1) {
      return "request body is not valid JSON";
    }
    return "request body is not valid JSON (line "
        + location.getLineNr()
        + ", column "
        + location.getColumnNr()
        + ")";
  }

  private static @Nullable String stringField(JsonNode root, String name) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isString()) {
      throw invalid("field '" + name + "' must be a string");
    }
    return node.stringValue();
  }

  private static boolean booleanField(JsonNode root, String name, boolean absent) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return absent;
    }
    if (!node.isBoolean()) {
      throw invalid("field '" + name + "' must be true or false");
    }
    return node.booleanValue();
  }
}
