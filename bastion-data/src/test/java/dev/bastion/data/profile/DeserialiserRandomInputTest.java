package dev.bastion.data.profile;

import dev.bastion.data.CsvReader;
import dev.bastion.data.sketch.FrequentItems;
import dev.bastion.data.sketch.HyperLogLog;
import dev.bastion.data.sketch.KllSketch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fuzz property of {@link ProfileFuzzTest} on seeded inputs in every build: valid sketches and
 * profiles with random bytes changed, cut or added.
 */
class DeserialiserRandomInputTest {
  static LongStream seeds() {
    return LongStream.range(0, 25).map(i -> 0xF0221L + i);
  }

  static byte[] mutate(Random r, byte[] b) {
    byte[] out = b.clone();
    switch (r.nextInt(4)) {
      case 0 -> {
        for (int k = 1 + r.nextInt(3); k > 0; k--) {
          out[r.nextInt(out.length)] = (byte) r.nextInt(256);
        }
      }
      case 1 -> out = java.util.Arrays.copyOf(out, r.nextInt(out.length));
      case 2 -> out = java.util.Arrays.copyOf(out, out.length + 1 + r.nextInt(16));
      default -> {
        int at = r.nextInt(out.length);
        out[at] = (byte) (out[at] ^ (1 << r.nextInt(8)));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void mutatedSketches(long seed) {
    Random r = new Random(seed);
    KllSketch k = new KllSketch(KllSketch.MIN_K);
    HyperLogLog h = new HyperLogLog(HyperLogLog.MIN_P);
    FrequentItems f = new FrequentItems(4);
    for (int i = 0; i < r.nextInt(2000); i++) {
      k.update(r.nextGaussian());
      h.addHash(r.nextLong());
      f.update("v" + r.nextInt(8));
    }
    for (byte[] valid : new byte[][] {k.toBytes(), h.toBytes(), f.toBytes()}) {
      DeserialiserInvariants.assertSketchesReadOrRefuse(valid);
      for (int i = 0; i < 200; i++) {
        DeserialiserInvariants.assertSketchesReadOrRefuse(mutate(r, valid));
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void mutatedProfiles(long seed) throws Exception {
    Random r = new Random(seed);
    byte[] valid = Profiler.profile(Path.of("..", "examples", "credit", "credit-g.csv"),
        CsvReader.Options.STREAMING).toJson();
    DeserialiserInvariants.assertProfileReadsOrRefuses(valid);
    String text = new String(valid, StandardCharsets.UTF_8);
    for (int i = 0; i < 20; i++) {
      // Change one character of the text (often inside a base64 sketch), or the raw bytes.
      byte[] m;
      if (r.nextBoolean()) {
        StringBuilder sb = new StringBuilder(text);
        String alphabet = "0123456789AZaz+/=\",:{}[]";
        sb.setCharAt(r.nextInt(sb.length()), alphabet.charAt(r.nextInt(alphabet.length())));
        m = sb.toString().getBytes(StandardCharsets.UTF_8);
      } else {
        m = mutate(r, valid);
      }
      DeserialiserInvariants.assertProfileReadsOrRefuses(m);
    }
  }
}
