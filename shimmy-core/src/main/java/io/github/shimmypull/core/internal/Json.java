package io.github.shimmypull.core.internal;

import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one Jackson 3 mapper of shimmy-pull (core and, as an internal of the same release, the
 * supervisor), kept out of public signatures. Reading requests is strict about duplicate keys; JSON
 * from other programs is read with {@link #lenientReader()}; maps are written in their iteration
 * order.
 */
public final class Json {

  private static final JsonMapper MAPPER =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static final ObjectReader LENIENT =
      MAPPER.reader().without(StreamReadFeature.STRICT_DUPLICATE_DETECTION);

  private Json() {}

  /** Writes a JSON-friendly value (maps, lists, strings, numbers, booleans, null) compactly. */
  public static String write(Object value) {
    return MAPPER.writeValueAsString(value);
  }

  /** Writes a JSON-friendly value as UTF-8 bytes. */
  public static byte[] writeBytes(Object value) {
    return MAPPER.writeValueAsBytes(value);
  }

  /**
   * Parses JSON text into a tree.
   *
   * @throws JacksonException when it is not well-formed JSON
   */
  public static JsonNode readTree(byte[] json) {
    return MAPPER.readTree(json);
  }

  /** Parses a JSON object into a map. */
  public static Map<String, Object> readObject(String json) {
    return MAPPER.readValue(json, new TypeReference<Map<String, Object>>() {});
  }

  /**
   * A reader of the mapper for JSON that other programs wrote (the Hub's API, Shimmy's API, state
   * files of the pull store): Jackson's defaults, so the last of duplicate keys wins.
   */
  public static ObjectReader lenientReader() {
    return LENIENT;
  }

  /** The mapper's tree factory, for building objects such as a rewritten request body. */
  public static JsonMapper mapper() {
    return MAPPER;
  }
}
