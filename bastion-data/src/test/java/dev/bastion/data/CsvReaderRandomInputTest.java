package dev.bastion.data;

import static dev.bastion.data.CsvFixtures.assertReadsOrRefuses;
import static dev.bastion.data.CsvFixtures.assertRereads;
import static dev.bastion.data.CsvFixtures.assertWellFormed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.core.BadInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fuzz property of {@link CsvReaderFuzzTest} on thousands of seeded inputs in every build:
 * valid CSV mutated at random, and strings over the reader's special characters.
 */
class CsvReaderRandomInputTest {
  private static final long BASE_SEED = 0xF022_C5F1L;
  private static final char[] ALPHABET = {',', ';', '"', '"', '\r', '\n', '\0', 'a', 'b', ' ', '\u00e9', '\t'};
  private static final char[] DELIMITERS = {',', ';', '\t', '|'};

  static LongStream seeds() {
    return LongStream.range(0, 40).map(i -> BASE_SEED + i);
  }

  /** 100 inputs per seed: mutated CSV under small, random limits. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void mutatedCsvIsReadOrRefused(long seed) {
    Random rnd = new Random(seed);
    for (int i = 0; i < 100; i++) {
      CsvReader.Options o = randomOptions(rnd);
      String valid = new String(CsvFixtures.randomTable(rnd).toCsv(), StandardCharsets.UTF_8);
      assertReadsOrRefuses(o, mutate(rnd, valid));
    }
  }

  /** 100 inputs per seed: short strings over the characters the grammar cares about. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void randomTextIsReadOrRefused(long seed) {
    Random rnd = new Random(seed);
    for (int i = 0; i < 100; i++) {
      StringBuilder sb = new StringBuilder();
      int len = rnd.nextInt(40);
      for (int j = 0; j < len; j++) {
        sb.append(ALPHABET[rnd.nextInt(ALPHABET.length)]);
      }
      assertReadsOrRefuses(randomOptions(rnd), sb.toString());
    }
  }

  /** 25 files per seed: random bytes, often not UTF-8, read from disk. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void randomBytesFromAFileAreReadOrRefused(long seed, @TempDir Path dir) throws Exception {
    Random rnd = new Random(seed);
    CsvReader.Options o = new CsvReader.Options(',', 256, 16, 8, 8);
    for (int i = 0; i < 25; i++) {
      byte[] bytes = mutate(rnd, "a,b,c\r\n1,\"x\ny\",3\n").getBytes(StandardCharsets.UTF_8);
      for (int k = rnd.nextInt(3); k > 0; k--) {
        bytes[rnd.nextInt(bytes.length)] = (byte) (0x80 + rnd.nextInt(0x80)); // often invalid UTF-8
      }
      Path f = Files.write(dir.resolve(i + ".csv"), bytes);
      try {
        Table t = new CsvReader(o).read(f);
        assertWellFormed(t, o);
        assertRereads(t);
      } catch (BadInputException e) {
        assertThat(e.getMessage()).startsWith(f + ": ");
      }
    }
  }

  private static CsvReader.Options randomOptions(Random rnd) {
    return new CsvReader.Options(
        rnd.nextInt(3) == 0 ? DELIMITERS[rnd.nextInt(DELIMITERS.length)] : ',',
        1 << 20,
        1 + rnd.nextInt(24),
        1 + rnd.nextInt(10),
        rnd.nextInt(25));
  }

  /** A few insertions, deletions and replacements of grammar characters, by code point. */
  static String mutate(Random rnd, String s) {
    java.util.List<Integer> cps = new java.util.ArrayList<>(s.codePoints().boxed().toList());
    for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
      int at = cps.isEmpty() ? 0 : rnd.nextInt(cps.size());
      int c = ALPHABET[rnd.nextInt(ALPHABET.length)];
      switch (rnd.nextInt(3)) {
        case 0 -> cps.add(at, c);
        case 1 -> {
          if (!cps.isEmpty()) {
            cps.remove(at);
          }
        }
        default -> {
          if (!cps.isEmpty()) {
            cps.set(at, c);
          }
        }
      }
    }
    StringBuilder sb = new StringBuilder();
    cps.forEach(sb::appendCodePoint);
    return sb.toString();
  }
}
