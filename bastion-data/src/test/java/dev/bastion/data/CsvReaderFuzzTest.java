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
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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

  /**
   * Raw bytes read as two halves at once ({@link CsvReader#streamSplit}): when it splits, the rows
   * (numbers, lines, cells) and the digest are the whole read's; a file the whole read refuses is
   * never split.
   */
  @FuzzTest(maxDuration = "2m")
  void splitFile(byte[] bytes) throws Exception {
    CsvReader r = new CsvReader(new CsvReader.Options(',', 4096, 32, 8, 16));
    Path file = scratch();
    Files.write(file, bytes);
    List<String> whole = new ArrayList<>();
    MessageDigest wholeSha = MessageDigest.getInstance("SHA-256");
    boolean wholeReads;
    try {
      r.stream(file, collect(whole), wholeSha);
      wholeReads = true;
    } catch (BadInputException e) {
      wholeReads = false;
    }
    List<String> first = new ArrayList<>();
    List<String> second = new ArrayList<>();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    Optional<CsvReader.Split> split =
        r.streamSplit(file, collect(first), collect(second), sha);
    if (split.isEmpty()) {
      return;
    }
    assertThat(wholeReads).isTrue();
    List<String> shifted = new ArrayList<>(first);
    for (String row : second) {
      String[] p = row.split("\\|", 3);
      shifted.add((Long.parseLong(p[0]) + split.get().firstRows()) + "|"
          + (Long.parseLong(p[1]) + split.get().firstLines()) + "|" + p[2]);
    }
    assertThat(shifted).isEqualTo(whole);
    assertThat(sha.digest()).isEqualTo(wholeSha.digest());
  }

  private static CsvReader.RowVisitor collect(List<String> out) {
    return new CsvReader.RowVisitor() {
      @Override
      public void header(List<String> columns) {}

      @Override
      public void row(long row, long line, String[] cells) {
        out.add(row + "|" + line + "|" + String.join("\u0001", cells));
      }
    };
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
