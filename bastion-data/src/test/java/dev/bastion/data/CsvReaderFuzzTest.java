package dev.bastion.data;

import static dev.bastion.data.CsvFixtures.assertReadsOrRefuses;
import static dev.bastion.data.CsvFixtures.assertRereads;
import static dev.bastion.data.CsvFixtures.assertWellFormed;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes {@link CsvReader}: any input is either a well-formed table or a {@link BadInputException}
 * naming the input, never another exception. In a plain {@code mvn test} Jazzer only replays the
 * inputs under {@code src/test/resources/dev/bastion/data/CsvReaderFuzzTestInputs/<method>/};
 * set {@code JAZZER_FUZZ=1} and select one method to fuzz for real. Keep every crash found there.
 */
class CsvReaderFuzzTest {
  private static final char[] DELIMITERS = {',', ';', '\t', '|', ' ', 'a', '\u00e9', '\0'};
  private static Path scratch;

  /** Text through a Reader, with small limits and a delimiter chosen by the fuzzer. */
  @FuzzTest(maxDuration = "2m")
  void readText(FuzzedDataProvider data) {
    CsvReader.Options o =
        new CsvReader.Options(
            data.pickValue(DELIMITERS),
            1 << 20,
            data.consumeInt(1, 64),
            data.consumeInt(1, 16),
            data.consumeLong(0, 32));
    assertReadsOrRefuses(o, data.consumeRemainingAsString());
  }

  /** Raw bytes through a real file: decoding, size limit and parsing together. */
  @FuzzTest(maxDuration = "2m")
  void readFile(byte[] bytes) throws IOException {
    CsvReader.Options o = new CsvReader.Options(',', 4096, 32, 8, 16);
    Path file = scratch();
    Files.write(file, bytes);
    Table t;
    try {
      t = new CsvReader(o).read(file);
    } catch (BadInputException e) {
      assertThat(e.getMessage()).startsWith(file + ": ");
      return;
    }
    assertThat(bytes.length).isLessThanOrEqualTo(4096);
    assertWellFormed(t, o);
    assertRereads(t);
  }

  private static synchronized Path scratch() {
    if (scratch == null) {
      try {
        scratch = Files.createTempFile("csv-fuzz", ".csv");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      scratch.toFile().deleteOnExit();
    }
    return scratch;
  }
}
