package io.github.shimmypull.core.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.GgufHeader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufReaderTest {

  @TempDir Path dir;

  private static byte[] tinyLlamaHeader() {
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      tokens.add("tok" + i);
    }
    return GgufHeader.builder()
        .string("general.architecture", "llama")
        .string("general.name", "TinyLlama 1.1B Chat")
        .uint64("general.parameter_count", 1_100_048_384L)
        .uint32("general.file_type", 15)
        .uint32("llama.context_length", 2048)
        .float32("llama.rope.freq_base", 10000f)
        .bool("general.flag", true)
        .strings("tokenizer.ggml.tokens", tokens)
        .int32s("tokenizer.ggml.token_type", new int[1000])
        .strings("general.tags", List.of("chat", "tiny"))
        .string("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}")
        .build();
  }

  @Test
  void readsTheKeyValueSectionOfAVersion3Header() throws Exception {
    Path file = dir.resolve("tiny.gguf");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(tinyLlamaHeader());
    out.writeBytes(new byte[4096]); // tensor infos and weights are never read
    Files.write(file, out.toByteArray());

    GgufReader.Metadata md = GgufReader.read(file);

    assertThat(md.version()).isEqualTo(3);
    assertThat(md.complete()).isTrue();
    assertThat(md.string("general.architecture")).isEqualTo("llama");
    assertThat(md.integer("general.parameter_count")).isEqualTo(1_100_048_384L);
    assertThat(md.integer("general.file_type")).isEqualTo(15L);
    assertThat(md.integer("llama.context_length")).isEqualTo(2048L);
    assertThat(md.values().get("llama.rope.freq_base")).isEqualTo(10000.0);
    assertThat(md.values().get("general.flag")).isEqualTo(true);
    assertThat(md.values().get("tokenizer.ggml.tokens"))
        .isEqualTo(new GgufReader.ArrayInfo(8, 1000));
    assertThat(md.values().get("tokenizer.ggml.token_type"))
        .isEqualTo(new GgufReader.ArrayInfo(5, 1000));
    assertThat(md.values().get("general.tags")).isEqualTo(List.of("chat", "tiny"));
    assertThat(md.string("tokenizer.chat_template")).startsWith("{% for m in messages");
  }

  @Test
  void aTruncatedHeaderYieldsTheKeysBeforeTheCutAndNeverThrows() {
    byte[] header = tinyLlamaHeader();
    for (int cut = 0; cut < header.length; cut += 7) {
      GgufReader.Metadata md =
          GgufReader.read(new ByteArrayInputStream(Arrays.copyOf(header, cut)));
      assertThat(md.complete()).as("cut at %d", cut).isFalse();
    }
    GgufReader.Metadata half =
        GgufReader.read(new ByteArrayInputStream(Arrays.copyOf(header, 200)));
    assertThat(half.string("general.architecture")).isEqualTo("llama");
    assertThat(half.complete()).isFalse();
  }

  @Test
  void garbageAfterTheMagicIsNotGguf() {
    for (long seed = 1; seed <= 50; seed++) {
      byte[] garbage = new byte[8192];
      FakeFile.seeded(garbage.length, seed).read(0, garbage, 0, garbage.length);
      GgufReader.Metadata md = GgufReader.read(new ByteArrayInputStream(garbage));
      assertThat(md.values()).as("seed %d", seed).isEmpty();
    }
    assertThat(GgufReader.read(new ByteArrayInputStream("not a model".getBytes())))
        .isEqualTo(GgufReader.Metadata.EMPTY);
    assertThat(GgufReader.read(dir.resolve("missing.gguf"))).isEqualTo(GgufReader.Metadata.EMPTY);
  }

  @Test
  void randomBytesInsideAValidHeaderNeverCrashTheReader() {
    byte[] header = tinyLlamaHeader();
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < 500; i++) {
      byte[] mutated = header.clone();
      for (int flips = 0; flips < 4; flips++) {
        mutated[24 + random.nextInt(mutated.length - 24)] = (byte) random.nextInt(256);
      }
      GgufReader.Metadata md = GgufReader.read(new ByteArrayInputStream(mutated));
      assertThat(md).isNotNull();
    }
  }

  @Test
  void hugeDeclaredCountsAndLengthsAreRefusedWithoutAllocating() {
    ByteBuffer kvCount = header(3, Long.MAX_VALUE);
    assertThat(GgufReader.read(new ByteArrayInputStream(kvCount.array())))
        .isEqualTo(GgufReader.Metadata.EMPTY);

    ByteBuffer hugeKey = header(3, 1);
    hugeKey.putLong(1L << 40);
    assertThat(GgufReader.read(new ByteArrayInputStream(hugeKey.array())).values()).isEmpty();

    byte[] good = GgufHeader.builder().string("general.architecture", "llama").build();
    ByteBuffer hugeArray = ByteBuffer.allocate(good.length + 64).order(ByteOrder.LITTLE_ENDIAN);
    hugeArray.put(good);
    hugeArray.putLong(16, 2); // two pairs: the good one, then an array of 2^40 strings
    hugeArray.putLong(5).put("big.a".getBytes()).putInt(9).putInt(8).putLong(1L << 40);
    GgufReader.Metadata md = GgufReader.read(new ByteArrayInputStream(hugeArray.array()));
    assertThat(md.string("general.architecture")).isEqualTo("llama");
    assertThat(md.complete()).isFalse();
  }

  @Test
  void versionsOtherThanTwoAndThreeAreNotRead() {
    byte[] v1 = GgufHeader.builder().version(1).string("general.architecture", "llama").build();
    assertThat(GgufReader.read(new ByteArrayInputStream(v1))).isEqualTo(GgufReader.Metadata.EMPTY);
    byte[] v2 = GgufHeader.builder().version(2).string("general.architecture", "llama").build();
    assertThat(GgufReader.read(new ByteArrayInputStream(v2)).string("general.architecture"))
        .isEqualTo("llama");
  }

  private static ByteBuffer header(int version, long kvCount) {
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    b.put("GGUF".getBytes()).putInt(version).putLong(0).putLong(kvCount);
    return b;
  }
}
