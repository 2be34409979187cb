package dev.bastion.data;

import static dev.bastion.data.CsvFixtures.cells;
import static dev.bastion.data.CsvFixtures.lines;
import static dev.bastion.data.CsvFixtures.options;
import static dev.bastion.data.CsvFixtures.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The grammar of RFC 4180 section 2, case by case, and the line numbers rows remember. */
class CsvReaderRfc4180Test {

  /** Each RFC 4180 rule as (input, expected data cells, expected row lines). */
  static Stream<Arguments> rfcCases() {
    return Stream.of(
        // 2.1 records end in CRLF
        Arguments.of("rule 2.1 CRLF", "a,b\r\naaa,bbb\r\nzzz,yyy\r\n",
            List.of(List.of("aaa", "bbb"), List.of("zzz", "yyy")), List.of(2L, 3L)),
        // 2.2 the last record may have no line end
        Arguments.of("rule 2.2 no final line end", "a,b\r\naaa,bbb\r\nzzz,yyy",
            List.of(List.of("aaa", "bbb"), List.of("zzz", "yyy")), List.of(2L, 3L)),
        // 2.4 spaces are part of a field
        Arguments.of("rule 2.4 spaces kept", "a,b\n  x , y  \n",
            List.of(List.of("  x ", " y  ")), List.of(2L)),
        // 2.5 fields may be quoted
        Arguments.of("rule 2.5 quoted fields", "a,b\n\"aaa\",\"bbb\"\n",
            List.of(List.of("aaa", "bbb")), List.of(2L)),
        Arguments.of("rule 2.5 quoted empty field", "a,b\n\"\",x\n",
            List.of(List.of("", "x")), List.of(2L)),
        // 2.6 quoted fields hold line ends and delimiters; the row starts where the record starts
        Arguments.of("rule 2.6 CRLF inside quotes", "a,b\r\n\"aaa\",\"b\r\nbb\"\r\nzzz,yyy\r\n",
            List.of(List.of("aaa", "b\r\nbb"), List.of("zzz", "yyy")), List.of(2L, 4L)),
        Arguments.of("rule 2.6 LF inside quotes", "a,b\n\"x\n\ny\",1\nlast,2\n",
            List.of(List.of("x\n\ny", "1"), List.of("last", "2")), List.of(2L, 5L)),
        Arguments.of("rule 2.6 comma inside quotes", "a,b\n\"1,2\",\",\"\n",
            List.of(List.of("1,2", ",")), List.of(2L)),
        // 2.7 a quote inside a quoted field is doubled
        Arguments.of("rule 2.7 doubled quotes", "a,b\n\"say \"\"hi\"\"\",\"\"\"\"\n",
            List.of(List.of("say \"hi\"", "\"")), List.of(2L)),
        // empty fields, LF and lone-CR line ends, blank lines
        Arguments.of("empty fields", "a,b,c\n,,\n", List.of(List.of("", "", "")), List.of(2L)),
        Arguments.of("LF line ends", "a,b\n1,2\n3,4\n",
            List.of(List.of("1", "2"), List.of("3", "4")), List.of(2L, 3L)),
        Arguments.of("mixed CRLF and LF", "a,b\r\n1,2\n3,4\r\n",
            List.of(List.of("1", "2"), List.of("3", "4")), List.of(2L, 3L)),
        Arguments.of("lone CR line ends", "a,b\r1,2\r3,4",
            List.of(List.of("1", "2"), List.of("3", "4")), List.of(2L, 3L)),
        Arguments.of("blank lines skipped, lines still counted", "a,b\n\n1,2\r\n\r\n\n3,4\n\n",
            List.of(List.of("1", "2"), List.of("3", "4")), List.of(3L, 6L)),
        Arguments.of("header only", "a,b\n", List.of(), List.of()),
        Arguments.of("header only, no line end", "a,b", List.of(), List.of()),
        Arguments.of("unicode", "name,city\nJos\u00e9,\u6771\u4eac\n\uD83D\uDE00,\"\u00df,\u00e9\"\n",
            List.of(List.of("Jos\u00e9", "\u6771\u4eac"), List.of("\uD83D\uDE00", "\u00df,\u00e9")),
            List.of(2L, 3L)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rfcCases")
  void readsRfc4180(String name, String csv, List<List<String>> expected, List<Long> expectedLines)
      throws BadInputException {
    Table t = read(csv);

    assertThat(cells(t)).isEqualTo(expected);
    assertThat(lines(t)).isEqualTo(expectedLines);
  }

  @Test
  void headerNamesAreTrimmedAndMayBeQuoted() throws BadInputException {
    Table t = read(" id ,\"full, name\",\" multi\nline\n\"\n1,2,3\n");

    assertThat(t.columns()).containsExactly("id", "full, name", "multi\nline");
    assertThat(lines(t)).containsExactly(4L);
    assertThat(t.indexOf("full, name")).isEqualTo(1);
    assertThat(t.indexOf("nope")).isEqualTo(-1);
  }

  @Test
  void theRfcExampleWithAQuotedLineBreakStartsTheNextRecordLater() throws BadInputException {
    String csv = "field_name,field_name,field_name\r\n"
        + "aaa,\"b\r\nbb\",ccc\r\n"
        + "zzz,yyy,xxx\r\n"
        + "\"q\"\"\",\"\",\"\r\n\r\n\"\r\n"
        + "end,end,end";

    assertThatThrownBy(() -> read(csv))
        .isInstanceOf(BadInputException.class)
        .hasMessage("test.csv: line 1: column 'field_name' appears twice");

    Table t = read(csv.replaceFirst("field_name,field_name,field_name", "a,b,c"));
    assertThat(cells(t))
        .containsExactly(
            List.of("aaa", "b\r\nbb", "ccc"),
            List.of("zzz", "yyy", "xxx"),
            List.of("q\"", "", "\r\n\r\n"),
            List.of("end", "end", "end"));
    assertThat(lines(t)).containsExactly(2L, 4L, 5L, 8L);
  }

  // ---- another delimiter ----

  @ParameterizedTest(name = "delimiter {0}")
  @ValueSource(chars = {';', '\t', '|'})
  void readsOtherDelimiters(char d) throws BadInputException {
    String csv = "a" + d + "b" + d + "c\r\n"
        + "1,5" + d + "\"x" + d + "y\"" + d + "\"\"\"q\"\"\"\r\n"
        + d + d + "\n";

    Table t = read(options(d, 1 << 20, 100, 10, 100), csv);

    assertThat(t.columns()).containsExactly("a", "b", "c");
    assertThat(cells(t))
        .containsExactly(List.of("1,5", "x" + d + "y", "\"q\""), List.of("", "", ""));
    assertThat(lines(t)).containsExactly(2L, 3L);
  }

  @Test
  void withSemicolonsACommaFileIsOneColumnAndRefused() {
    assertThatThrownBy(() -> read(options(';', 1 << 20, 100, 10, 100), "a,b\n1,2\n"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("test.csv: line 1: found 1 column; not a CSV file with delimiter ';'");
  }

  @ParameterizedTest(name = "delimiter {0}")
  @ValueSource(chars = {'"', '\n', '\r'})
  void aQuoteOrLineEndCannotBeTheDelimiter(char d) {
    assertThatThrownBy(() -> options(d, 1, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("delimiter");
  }

  @Test
  void defaultOptionsAreCommaWithGenerousLimits() {
    CsvReader.Options o = CsvReader.Options.DEFAULT;

    assertThat(o.delimiter()).isEqualTo(',');
    assertThat(o.maxFileBytes()).isEqualTo(1L << 30);
    assertThat(o.maxFieldChars()).isEqualTo(1 << 16);
    assertThat(o.maxColumns()).isEqualTo(4096);
    assertThat(o.maxRows()).isEqualTo(10_000_000L);
  }
}
