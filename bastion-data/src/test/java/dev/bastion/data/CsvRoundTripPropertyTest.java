package dev.bastion.data;

import static dev.bastion.data.CsvFixtures.cells;
import static dev.bastion.data.CsvFixtures.expectedLines;
import static dev.bastion.data.CsvFixtures.lines;
import static dev.bastion.data.CsvFixtures.randomTable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Property: whatever {@link Table#toCsv()} writes, {@link CsvReader} reads back unchanged. */
class CsvRoundTripPropertyTest {
  private static final long BASE_SEED = 0x4180_C5F1L;

  static LongStream seeds() {
    return LongStream.range(0, 300).map(i -> BASE_SEED + i);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void toCsvThenReadGivesTheSameTable(long seed) throws BadInputException {
    Table written = randomTable(new Random(seed));

    String csv = new String(written.toCsv(), StandardCharsets.UTF_8);
    Table read = CsvFixtures.read(csv);

    assertThat(read.columns()).as("columns of %s", csv).isEqualTo(written.columns());
    assertThat(cells(read)).as("cells of %s", csv).isEqualTo(cells(written));
    assertThat(lines(read)).as("row lines of %s", csv).isEqualTo(expectedLines(written));
    assertThat(read.source()).isEqualTo(CsvFixtures.NAME);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void toCsvIsAFixedPointOfReading(long seed) throws BadInputException {
    Table written = randomTable(new Random(seed));
    byte[] once = written.toCsv();

    byte[] twice = CsvFixtures.read(new String(once, StandardCharsets.UTF_8)).toCsv();

    assertThat(twice).isEqualTo(once);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("firstSeeds")
  void roundTripsThroughARealFile(long seed, @TempDir Path dir) throws Exception {
    Table written = randomTable(new Random(seed));
    Path file = Files.write(dir.resolve("t.csv"), written.toCsv());

    Table read = new CsvReader().read(file);

    assertThat(read.source()).isEqualTo(file.toString());
    assertThat(read.columns()).isEqualTo(written.columns());
    assertThat(cells(read)).isEqualTo(cells(written));
    assertThat(lines(read)).isEqualTo(expectedLines(written));
  }

  static LongStream firstSeeds() {
    return seeds().limit(25);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void lfOnlyLineEndsReadTheSameAsCrlf(long seed) throws BadInputException {
    Table written = randomTable(new Random(seed));
    // Only record ends may change: rebuild with LF by writing cells that hold no CR at all.
    Table noCr =
        new Table(
            written.source(),
            written.columns().stream().map(c -> c.replace("\r", "")).map(CsvRoundTripPropertyTest::nonBlank).toList(),
            written.rows().stream()
                .map(r -> new Table.Row(0, r.cells().stream().map(c -> c.replace("\r", "")).toList()))
                .toList());
    if (noCr.columns().stream().distinct().count() != noCr.columns().size()) {
      return; // removing CR made two header names equal; nothing to compare
    }
    String crlf = new String(noCr.toCsv(), StandardCharsets.UTF_8);
    String lf = crlf.replace("\r\n", "\n");

    Table a = CsvFixtures.read(crlf);
    Table b = CsvFixtures.read(lf);

    assertThat(b.columns()).isEqualTo(a.columns());
    assertThat(cells(b)).isEqualTo(cells(a));
    assertThat(lines(b)).isEqualTo(lines(a));
  }

  private static String nonBlank(String name) {
    String s = name.strip();
    return s.isEmpty() ? "blank" : s;
  }
}
