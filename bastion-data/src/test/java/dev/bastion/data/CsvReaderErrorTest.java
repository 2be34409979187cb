package dev.bastion.data;

import static dev.bastion.data.CsvFixtures.options;
import static dev.bastion.data.CsvFixtures.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way a CSV file is refused, each with the exact message naming the file and line. */
class CsvReaderErrorTest {
  private static final CsvReader.Options SMALL = options(',', 1 << 20, 5, 3, 2);

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("unclosed quote", "a,b\n1,\"open\n\n",
            "test.csv: row 1 (line 2): quoted field not closed before end of file"),
        Arguments.of("unclosed quote in header", "\"a,b\n1,2\n",
            "test.csv: line 1: quoted field not closed before end of file"),
        Arguments.of("text after closing quote", "a,b\n1,\"x\"y\n",
            "test.csv: row 1 (line 2): field 2: text after a closing quote"),
        Arguments.of("space after closing quote", "a,b\n\"x\" ,1\n",
            "test.csv: row 1 (line 2): field 1: text after a closing quote"),
        Arguments.of("text after a multi-line quoted field names the line it is on",
            "a,b\n1,\"x\ny\"z\n", "test.csv: row 1 (line 3): field 2: text after a closing quote"),
        Arguments.of("quote inside unquoted field", "a,b\n1,ab\"c\n",
            "test.csv: row 1 (line 2): field 2: quote inside an unquoted field"),
        Arguments.of("quote after leading space", "a,b\n1, \"c\"\n",
            "test.csv: row 1 (line 2): field 2: quote inside an unquoted field"),
        Arguments.of("too few fields", "a,b,c\n1,2,3\n1,2\n",
            "test.csv: row 2 (line 3): 2 fields, the header has 3"),
        Arguments.of("too many fields", "a,b\n1,2,3\n",
            "test.csv: row 1 (line 2): more fields than the header's 2"),
        Arguments.of("wrong width after a multi-line record", "a,b\n\"x\ny\",1\n1\n",
            "test.csv: row 2 (line 4): 1 fields, the header has 2"),
        Arguments.of("NUL byte", "a,b\n1,x\0y\n",
            "test.csv: row 1 (line 2): NUL byte; this is not a text CSV file"),
        Arguments.of("NUL byte in header", "a,\0\n", "test.csv: line 1: NUL byte; this is not a text CSV file"),
        Arguments.of("empty file", "", "test.csv: empty file, expected a CSV header"),
        Arguments.of("blank first line", "\na,b\n", "test.csv: line 1, column 1: empty column name"),
        Arguments.of("duplicate column", "a,b,a\n1,2,3\n", "test.csv: line 1: column 'a' appears twice"),
        Arguments.of("duplicate column after trimming", "a, a\n1,2\n",
            "test.csv: line 1: column 'a' appears twice"),
        Arguments.of("empty column name", "a,,c\n1,2,3\n", "test.csv: line 1, column 2: empty column name"),
        Arguments.of("blank column name", "a,  \n1,2\n", "test.csv: line 1, column 2: empty column name"),
        Arguments.of("one column", "only\n1\n",
            "test.csv: line 1: found 1 column; not a CSV file with delimiter ','"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void refusesMalformedCsv(String name, String csv, String message) {
    assertThatThrownBy(() -> read(csv)).isInstanceOf(BadInputException.class).hasMessage(message);
  }

  static Stream<Arguments> overLimits() {
    return Stream.of(
        Arguments.of("field of 6 chars", "a,b\n123456,1\n",
            "test.csv: row 1 (line 2): field 1: longer than the limit of 5 characters"),
        Arguments.of("quoted field of 6 chars starting on line 2", "a,b\n1,\"12\n3456\"\n",
            "test.csv: row 1 (line 2): field 2: longer than the limit of 5 characters"),
        Arguments.of("long header name", "abcdef,b\n",
            "test.csv: line 1: field 1: longer than the limit of 5 characters"),
        Arguments.of("4 columns", "a,b,c,d\n", "test.csv: line 1: more than the limit of 3 columns"),
        Arguments.of("3 rows", "a,b\n1,2\n3,4\n5,6\n",
            "test.csv: row 3 (line 4): more than the limit of 2 rows"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("overLimits")
  void refusesInputOverALimit(String name, String csv, String message) {
    assertThatThrownBy(() -> read(SMALL, csv)).isInstanceOf(BadInputException.class).hasMessage(message);
  }

  @Test
  void aRowWiderThanTheHeaderIsRefusedAsItsExtraFieldStarts() {
    // "a,b" then a row that never ends: ",1" for ever. Read to its end, it would never return.
    java.io.Reader endless = new java.io.Reader() {
      private final String head = "a,b\n1,2";
      private long at;

      @Override
      public int read(char[] buf, int off, int len) {
        for (int i = 0; i < len; i++, at++) {
          buf[off + i] = at < head.length() ? head.charAt((int) at) : ",1".charAt((int) (at % 2));
        }
        return len;
      }

      @Override
      public void close() {}
    };
    assertThatThrownBy(() -> new CsvReader().read(endless, "test.csv"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("test.csv: row 1 (line 2): more fields than the header's 2");
  }

  @Test
  void limitsAreInclusive() throws BadInputException {
    Table t = read(SMALL, "a,b,c\n12345,\"1\"\"345\",\n1,2,3\n\n\n");

    assertThat(t.columns()).hasSize(3);
    assertThat(t.rows()).hasSize(2);
    assertThat(t.rows().get(0).cells()).containsExactly("12345", "1\"345", "");
  }

  @Test
  void blankLinesDoNotCountAgainstMaxRows() throws BadInputException {
    assertThat(read(SMALL, "a,b\n\n\n\n1,2\n\n\n3,4\n\n").rows()).hasSize(2);
  }

  @Test
  void zeroMaxRowsAcceptsOnlyAHeader() throws BadInputException {
    CsvReader.Options none = options(',', 100, 10, 10, 0);

    assertThat(read(none, "a,b\n\n").rows()).isEmpty();
    assertThatThrownBy(() -> read(none, "a,b\n1,2\n"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("test.csv: row 1 (line 2): more than the limit of 0 rows");
  }

  // ---- files ----

  @Test
  void refusesAFileLargerThanMaxFileBytes(@TempDir Path dir) throws IOException {
    Path f = Files.writeString(dir.resolve("big.csv"), "a,b\n1,2\n"); // 8 bytes

    assertThatThrownBy(() -> new CsvReader(options(',', 7, 10, 10, 10)).read(f))
        .isInstanceOf(BadInputException.class)
        .hasMessage(f + ": 8 bytes is more than the limit of 7");
  }

  @Test
  void acceptsAFileOfExactlyMaxFileBytes(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("ok.csv"), "a,b\n1,2\n");

    Table t = new CsvReader(options(',', 8, 10, 10, 10)).read(f);

    assertThat(t.source()).isEqualTo(f.toString());
    assertThat(t.rows()).hasSize(1);
  }

  @Test
  void refusesAMissingFile(@TempDir Path dir) {
    Path f = dir.resolve("missing.csv");

    assertThatThrownBy(() -> new CsvReader().read(f))
        .isInstanceOf(BadInputException.class)
        .hasMessage(f + ": no such file")
        .hasCauseInstanceOf(NoSuchFileException.class);
  }

  @Test
  void refusesADirectory(@TempDir Path dir) {
    assertThatThrownBy(() -> new CsvReader().read(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessage(dir + ": is a directory, not a CSV file");
  }

  static Stream<Arguments> notUtf8() {
    return Stream.of(
        Arguments.of("latin-1 e-acute", new byte[] {'a', ',', 'b', '\n', 'J', 'o', 's', (byte) 0xE9, ',', '1', '\n'}),
        Arguments.of("lone continuation byte", new byte[] {'a', ',', 'b', '\n', (byte) 0x80, ',', '1', '\n'}),
        Arguments.of("truncated 3-byte sequence", new byte[] {'a', ',', 'b', '\n', (byte) 0xE4, (byte) 0xB8, ',', '1'}),
        Arguments.of("overlong encoding of '/'", new byte[] {'a', ',', 'b', '\n', (byte) 0xC0, (byte) 0xAF, ',', '1'}),
        Arguments.of("encoded surrogate", new byte[] {'a', ',', 'b', '\n', (byte) 0xED, (byte) 0xA0, (byte) 0x80, ',', '1'}),
        Arguments.of("invalid byte in header", new byte[] {'a', (byte) 0xFF, ',', 'b', '\n'}),
        Arguments.of("UTF-16LE text", "a,b\n1,2\n".getBytes(StandardCharsets.UTF_16LE)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notUtf8")
  void refusesBytesThatAreNotUtf8(String name, byte[] bytes, @TempDir Path dir) throws IOException {
    Path f = Files.write(dir.resolve("bytes.csv"), bytes);

    assertThatThrownBy(() -> new CsvReader().read(f))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(f + ": ");
    if (!name.startsWith("UTF-16")) {
      assertThatThrownBy(() -> new CsvReader().read(f))
          .hasMessageMatching(java.util.regex.Pattern.quote(f.toString()) + ": (row [0-9]+ \\(line [0-9]+\\)|line 1): not UTF-8 text")
          .hasCauseInstanceOf(CharacterCodingException.class);
    }
  }

  @Test
  void aNulByteInAFileNamesTheFileAndLine(@TempDir Path dir) throws IOException {
    Path f = Files.write(dir.resolve("nul.csv"), new byte[] {'a', ',', 'b', '\n', '1', ',', 0, '\n'});

    assertThatThrownBy(() -> new CsvReader().read(f))
        .isInstanceOf(BadInputException.class)
        .hasMessage(f + ": row 1 (line 2): NUL byte; this is not a text CSV file");
  }
}
