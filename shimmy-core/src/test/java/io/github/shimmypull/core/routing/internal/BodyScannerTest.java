package io.github.shimmypull.core.routing.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.routing.RoutingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.async.ByteArrayFeeder;
import tools.jackson.core.json.JsonFactory;

/**
 * The hand-written scanner reads bodies the way Jackson's non-blocking parser does: the same model,
 * the same verdict on malformed JSON, the same offsets for the rewrite, whatever the pieces.
 */
class BodyScannerTest {

  private static final JsonFactory JACKSON = new JsonFactory();

  @Test
  void agreesWithJacksonOnHandPickedBodies() {
    List<String> bodies =
        List.of(
            "",
            "   ",
            "{}",
            " {} trailing garbage",
            "{\"model\":\"alpha\",\"stream\":true}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi \\\"there\\\"\"}],\"model\":\"beta\"}",
            "{\"mod\\u0065l\":\"g\\u00e9mma\",\"str\\u0065am\":null}",
            "{\"model\":\"caf\u00e9 \ud83d\ude00 \\ud83d\\ude00\"}",
            "{\"model\":\"\\b\\f\\n\\r\\t\\/\\\\\"}",
            "{\"model\":null}",
            "{\"model\":7}",
            "{\"model\":-0.5e+10}",
            "{\"model\":12",
            "{\"model\":1.",
            "{\"model\":true}",
            "{\"model\":false,\"model\":\"second\"}",
            "{\"model\":\"first\",\"model\":3}",
            "{\"model\":{\"id\":\"x\"}}",
            "{\"model\":[\"x\"]}",
            "{\"a\":{\"model\":\"nested\"},\"b\":[1,2.5,-3e2,true,false,null,[],{}]}",
            "{\"a\":01}",
            "{\"a\":-}",
            "{\"a\":1e}",
            "{\"a\":.5}",
            "{\"a\":+1}",
            "{\"a\":1,}",
            "{,}",
            "{\"a\" 1}",
            "{\"a\":tru}",
            "{\"a\":truex}",
            "{\"a\":nul",
            "{\"a\":\"bad \\x escape\"}",
            "{\"a\":\"bad \\u12g4 escape\"}",
            "{\"a\":\"raw\ttab\"}",
            "{\"a\":[1 2]}",
            "{\"a\":[1,]}",
            "{\"a\":1}}",
            "[\"model\",\"alpha\"]",
            "\"model\"",
            "42",
            "{\"model\":\"alpha\"\u000b}",
            "{\"model\":\"x\"} {\"model\":\"y\"}",
            "{\"model\" : \"spaced\" , \"stream\" : false }",
            "\r\n\t{\r\n\t\"model\"\r\n:\r\n\"ws\"\r\n}");
    for (String body : bodies) {
      byte[] bytes = body.getBytes(UTF_8);
      for (int piece : new int[] {bytes.length, 1, 2, 3, 7}) {
        assertAgrees(bytes, piece, true);
        assertAgrees(bytes, piece, false);
      }
    }
  }

  @Test
  void agreesWithJacksonOnInvalidUtf8() {
    int[][] sequences = {
      {0x80},
      {0xBF},
      {0xC3},
      {0xC3, 0x28},
      {0xC0, 0x80},
      {0xE2, 0x82},
      {0xE2, 0x28, 0xA1},
      {0xED, 0xA0, 0x80},
      {0xF0, 0x9F, 0x98},
      {0xF0, 0x9F, 0x98, 0x80},
      {0xF8, 0x88, 0x80, 0x80},
      {0xFF}
    };
    for (int[] sequence : sequences) {
      for (String key : new String[] {"model", "other"}) {
        byte[] head = ("{\"" + key + "\":\"a").getBytes(UTF_8);
        byte[] tail = "b\",\"stream\":1}".getBytes(UTF_8);
        byte[] bytes = new byte[head.length + sequence.length + tail.length];
        System.arraycopy(head, 0, bytes, 0, head.length);
        for (int i = 0; i < sequence.length; i++) {
          bytes[head.length + i] = (byte) sequence[i];
        }
        System.arraycopy(tail, 0, bytes, head.length + sequence.length, tail.length);
        assertAgrees(bytes, bytes.length, true);
        assertAgrees(bytes, 1, true);
      }
    }
  }

  @Test
  void agreesWithJacksonOnNestingAtTheDepthLimit() {
    for (int depth :
        new int[] {BodyScanner.MAX_DEPTH - 1, BodyScanner.MAX_DEPTH, BodyScanner.MAX_DEPTH + 1}) {
      String body =
          "{\"a\":" + "[".repeat(depth - 1) + "]".repeat(depth - 1) + ",\"model\":\"deep\"}";
      assertAgrees(body.getBytes(UTF_8), 64, true);
    }
  }

  @Test
  void agreesWithJacksonOnRandomBodiesAndTheirMutations() {
    Random random = new Random(20261205);
    for (int round = 0; round < 4000; round++) {
      byte[] bytes = randomObject(random).getBytes(UTF_8);
      assertAgrees(bytes, 1 + random.nextInt(bytes.length + 1), true);
      byte[] mutated = mutate(bytes, random);
      assertAgrees(mutated, 1 + random.nextInt(mutated.length + 1), true);
      assertAgrees(mutated, 1 + random.nextInt(8), random.nextBoolean());
    }
  }

  @Test
  void aByteOrderMarkIsSkippedAndTheRewriteLandsAfterIt() {
    byte[] bytes = "\ufeff{\"messages\":[]}".getBytes(UTF_8);
    BodyScanner scanner = new BodyScanner();
    scanner.feed(bytes, 0, 2);
    scanner.feed(bytes, 2, bytes.length - 2);
    scanner.end();

    assertThat(scanner.malformed()).isFalse();
    assertThat(new String(scanner.forwarded(bytes, 0, bytes.length, 0, "alpha", true), UTF_8))
        .isEqualTo("\ufeff{\"model\":\"alpha\",\"messages\":[],\"stream\":false}");
  }

  @Test
  void aModelLongerThanTheLimitIsRefusedWithoutKeepingIt() {
    String name = "m".repeat(BodyScanner.MAX_MODEL_BYTES + 1);
    byte[] bytes = ("{\"model\":\"" + name + "\"}").getBytes(UTF_8);
    BodyScanner scanner = new BodyScanner();
    scanner.feed(bytes, 0, bytes.length);
    scanner.end();

    assertThatThrownBy(scanner::requestedModel)
        .isInstanceOfSatisfying(
            RoutingException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(RoutingException.Reason.INVALID_MODEL);
              assertThat(e.getMessage()).contains("longer than 65536 bytes");
            });
    assertThat(scanner.model()).isNull();
  }

  private static void assertAgrees(byte[] bytes, int piece, boolean end) {
    BodyScanner scanner = new BodyScanner();
    if (!end && !startsAnObject(bytes)) {
      // Jackson waits for the first token to end; the scanner knows from its first byte
      scanner.feed(bytes, 0, bytes.length);
      assertThat(scanner.modelKnown()).isEqualTo(scanner.malformed()).isEqualTo(bytes.length > 0);
      return;
    }
    Facts expected = Facts.jackson(bytes, Math.max(1, bytes.length), end);
    for (int at = 0; at < bytes.length; at += piece) {
      byte[] copy = new byte[piece + 2];
      int length = Math.min(piece, bytes.length - at);
      System.arraycopy(bytes, at, copy, 1, length); // not at offset 0, in a reused array
      scanner.feed(copy, 1, length);
    }
    if (end) {
      scanner.end();
    }
    Facts actual =
        new Facts(
            scanner.malformed(),
            scanner.modelKnown(),
            scanner.model(),
            scanner.modelNotString(),
            scanner.hasStream(),
            scanner.streamKnown(),
            scanner.malformed() ? "" : scanner.positions(),
            scanner.fed());
    if (!end && actual.malformed() && !expected.malformed()) {
      // The scanner may see an error sooner than Jackson (which waits for "false3" to end), but
      // never a different verdict.
      assertThat(Facts.jackson(bytes, Math.max(1, bytes.length), true).malformed()).isTrue();
      return;
    }
    assertThat(actual)
        .as("%s in pieces of %d, end %s", java.util.Arrays.toString(bytes), piece, end)
        .isEqualTo(expected);
  }

  private static boolean startsAnObject(byte[] bytes) {
    for (byte b : bytes) {
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        return b == '{';
      }
    }
    return true;
  }

  /** What Jackson's non-blocking parser says about a body (the scanner's former implementation). */
  private record Facts(
      boolean malformed,
      boolean modelKnown,
      @Nullable String model,
      boolean modelNotString,
      boolean hasStream,
      boolean streamKnown,
      String positions,
      long fed) {

    static Facts jackson(byte[] bytes, int piece, boolean end) {
      JsonParser parser = JACKSON.createNonBlockingByteArrayParser(ObjectReadContext.empty());
      ByteArrayFeeder feeder = (ByteArrayFeeder) parser.nonBlockingInputFeeder();
      Oracle oracle = new Oracle(parser);
      for (int at = 0; at < bytes.length && !oracle.done; at += piece) {
        try {
          feeder.feedInput(bytes, at, Math.min(bytes.length, at + piece));
        } catch (JacksonException e) {
          oracle.malformed = true;
          oracle.done = true;
        }
        oracle.drain();
      }
      if (end && !oracle.done) {
        feeder.endOfInput();
        oracle.drain();
        oracle.done = true;
      }
      parser.close();
      return new Facts(
          oracle.malformed,
          oracle.modelFound || oracle.done,
          oracle.model,
          oracle.modelNotString,
          oracle.hasStream,
          oracle.hasStream || oracle.done,
          oracle.malformed
              ? ""
              : oracle.rootStart
                  + " "
                  + oracle.rootEnd
                  + " "
                  + oracle.modelStart
                  + " "
                  + oracle.modelEnd
                  + " "
                  + oracle.hasFields,
          bytes.length);
    }
  }

  private static final class Oracle {
    final JsonParser parser;
    boolean started;
    boolean done;
    boolean malformed;
    boolean modelFound;
    boolean modelNotString;
    boolean expectModel;
    @Nullable String model;
    boolean hasStream;
    boolean hasFields;
    long rootStart = -1;
    long rootEnd = -1;
    long modelStart = -1;
    long modelEnd = -1;

    Oracle(JsonParser parser) {
      this.parser = parser;
    }

    void drain() {
      while (!done) {
        JsonToken token;
        try {
          token = parser.nextToken();
        } catch (JacksonException e) {
          malformed = true;
          done = true;
          return;
        }
        if (token == JsonToken.NOT_AVAILABLE) {
          return;
        }
        if (token == null) {
          done = true;
          return;
        }
        if (!started) {
          started = true;
          if (token != JsonToken.START_OBJECT) {
            malformed = true;
            done = true;
          } else {
            rootStart = parser.currentLocation().getByteOffset() - 1;
          }
          continue;
        }
        if (expectModel) {
          expectModel = false;
          modelFound = true;
          if (token == JsonToken.VALUE_STRING) {
            model = parser.getString();
            modelStart = parser.currentTokenLocation().getByteOffset() - 1;
            modelEnd = parser.currentLocation().getByteOffset();
          } else if (token != JsonToken.VALUE_NULL) {
            modelNotString = true;
          }
        }
        if (token == JsonToken.PROPERTY_NAME && parser.streamReadContext().getNestingDepth() == 1) {
          hasFields = true;
          if ("model".equals(parser.currentName())) {
            expectModel = true;
          } else if ("stream".equals(parser.currentName())) {
            hasStream = true;
          }
        } else if (token == JsonToken.END_OBJECT && parser.streamReadContext().inRoot()) {
          rootEnd = parser.currentLocation().getByteOffset() - 1;
          done = true;
        }
      }
    }
  }

  private static String randomObject(Random random) {
    StringBuilder out = new StringBuilder();
    object(random, out, 0);
    return out.toString();
  }

  private static void object(Random random, StringBuilder out, int depth) {
    out.append(space(random)).append('{');
    int fields = random.nextInt(depth == 0 ? 6 : 3);
    for (int i = 0; i < fields; i++) {
      if (i > 0) {
        out.append(space(random)).append(',');
      }
      out.append(space(random)).append(string(random, true)).append(space(random)).append(':');
      value(random, out, depth + 1);
    }
    out.append(space(random)).append('}');
  }

  private static void value(Random random, StringBuilder out, int depth) {
    out.append(space(random));
    int kind = random.nextInt(depth > 3 ? 5 : 7);
    switch (kind) {
      case 0, 1 -> out.append(string(random, false));
      case 2 -> out.append(number(random));
      case 3 -> out.append(List.of("true", "false", "null").get(random.nextInt(3)));
      case 4 -> out.append(string(random, false));
      case 5 -> object(random, out, depth);
      default -> {
        out.append('[');
        int items = random.nextInt(4);
        for (int i = 0; i < items; i++) {
          if (i > 0) {
            out.append(',');
          }
          value(random, out, depth + 1);
        }
        out.append(space(random)).append(']');
      }
    }
    out.append(space(random));
  }

  private static String string(Random random, boolean key) {
    List<String> names =
        List.of("model", "stream", "messages", "mod\\u0065l", "Model", "stream ", "", "m\\\"odel");
    if (key && random.nextInt(3) > 0) {
      return '"' + names.get(random.nextInt(names.size())) + '"';
    }
    List<String> pieces =
        List.of("alpha", "\\\"", "\\\\", "\\n", "\\u00e9", "\u00e9", "\ud83d\ude00", " ", "x/y");
    StringBuilder text = new StringBuilder("\"");
    int count = random.nextInt(4);
    for (int i = 0; i < count; i++) {
      text.append(pieces.get(random.nextInt(pieces.size())));
    }
    return text.append('"').toString();
  }

  private static String number(Random random) {
    List<String> numbers = List.of("0", "-0", "7", "-12", "3.25", "1e9", "-2.5E-3", "10", "0.0");
    return numbers.get(random.nextInt(numbers.size()));
  }

  private static String space(Random random) {
    return switch (random.nextInt(6)) {
      case 0 -> " ";
      case 1 -> "\n\t";
      default -> "";
    };
  }

  private static byte[] mutate(byte[] bytes, Random random) {
    List<Byte> out = new ArrayList<>();
    for (byte b : bytes) {
      out.add(b);
    }
    byte[] alphabet = "{}[]\",:\\ -+./0123456789eEtruefalsnlx\t\n\r".getBytes(UTF_8);
    int edits = 1 + random.nextInt(2);
    for (int i = 0; i < edits; i++) {
      int at = out.isEmpty() ? 0 : random.nextInt(out.size());
      switch (random.nextInt(3)) {
        case 0 -> {
          if (!out.isEmpty()) {
            out.remove(at);
          }
        }
        case 1 -> out.add(at, alphabet[random.nextInt(alphabet.length)]);
        default -> {
          if (!out.isEmpty()) {
            out.set(at, alphabet[random.nextInt(alphabet.length)]);
          }
        }
      }
    }
    byte[] result = new byte[out.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = out.get(i);
    }
    return result;
  }
}
