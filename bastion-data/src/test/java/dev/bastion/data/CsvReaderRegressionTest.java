package dev.bastion.data;

import static dev.bastion.data.CsvFixtures.cells;
import static dev.bastion.data.CsvFixtures.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Inputs that found bugs, each kept under the name of what it showed. */
class CsvReaderRegressionTest {

  /**
   * Bug: CsvReader refuses a NUL byte in an unquoted field but keeps one inside quotes, and
   * Table.toCsv does not quote NUL, so the reader refuses the canonical bytes of its own table.
   * Enable when CsvReader.Parser.next() checks for NUL in quoted fields too.
   */
  @Test
  void quotedNulIsRefusedLikeAnUnquotedOne() {
    assertThatThrownBy(() -> read("a,b\n\"x\0y\",1\n"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("test.csv: row 1 (line 2): NUL byte; this is not a text CSV file");
  }

  /**
   * The class Javadoc promises that input which is not UTF-8 "is refused with the file and line";
   * the message is "FILE: not UTF-8 text" with no line, since the decoder fails inside the reader.
   */
  @Test
  void notUtf8NamesTheLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path f =
        java.nio.file.Files.write(dir.resolve("x.csv"), new byte[] {'a', ',', 'b', '\n', '1', ',', (byte) 0xff, '\n'});

    assertThatThrownBy(() -> new CsvReader().read(f))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(f + ": row 1 (line 2)");
  }

  /** The same promise for the row limit: "more than the limit of N rows" names no line. */
  @Test
  void tooManyRowsNamesTheLine() {
    assertThatThrownBy(() -> read(new CsvReader.Options(',', 100, 10, 10, 1), "a,b\n1,2\n3,4\n"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("test.csv: row 2 (line 3)");
  }

  /**
   * A UTF-8 byte order mark (as spreadsheet programs write) stays in the first column name, so
   * "id" becomes "\uFEFFid" and validation reports the column as missing.
   */
  @Test
  void aByteOrderMarkIsNotPartOfTheFirstColumnName() throws BadInputException {
    assertThat(read("\uFEFFid,b\n1,2\n").columns()).containsExactly("id", "b");
  }
}
