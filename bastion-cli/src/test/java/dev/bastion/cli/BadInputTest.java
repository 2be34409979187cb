package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.pipeline.Home;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad data through the command line: one line naming file, row and column, the documented exit
 * code, and nothing new in the store or the registry.
 */
class BadInputTest {
  @TempDir Path tmp;
  Path home;
  Path pipeline;
  Path csv;

  @BeforeEach
  void setUp() throws Exception {
    home = tmp.resolve("home");
    System.setProperty(Home.PROPERTY, home.toString());
    pipeline = Examples.copyCredit(tmp.resolve("credit"));
    csv = pipeline.resolveSibling("credit-g.csv");
    assertThat(execute("init").code).isZero();
    assertThat(execute("approve", pipeline.toString()).code).isZero();
  }

  @AfterEach
  void tearDown() {
    System.clearProperty(Home.PROPERTY);
  }

  record Outcome(int code, String err) {}

  private static Outcome execute(String... args) {
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Outcome(code, err.toString());
  }

  private List<Path> storeFiles() throws IOException {
    Path store = home.resolve("store");
    if (!Files.exists(store)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(store)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  /** Replaces field {@code column} of data row {@code row} (1-based) with {@code value}. */
  private void setCell(int row, String column, String value) throws IOException {
    List<String> lines = new java.util.ArrayList<>(Files.readAllLines(csv));
    List<String> header = List.of(lines.get(0).split(",", -1));
    String[] cells = lines.get(row).split(",", -1);
    cells[header.indexOf(column)] = value;
    lines.set(row, String.join(",", cells));
    Files.write(csv, lines);
  }

  @ParameterizedTest(name = "{0} in row {1}, column {2}")
  @CsvSource({
    "wrong type, 7, duration, twelve, is not an integer",
    "unknown category, 12, purpose, spaceship, is not an allowed category",
    "out of range, 30, age, 250, is outside the range",
    "empty value, 3, job, '', value is missing",
  })
  void aBadCellFailsTheCheckNamingFileRowAndColumn(
      String what, int row, String column, String value, String message) throws Exception {
    setCell(row, column, value);
    List<Path> before = storeFiles();
    Outcome o = execute("run", pipeline.toString());
    assertThat(o.code).as(what).isEqualTo(1);
    assertThat(o.err.strip().lines()).hasSize(1);
    assertThat(o.err)
        .contains("credit-g.csv")
        .contains("row " + row + " ")
        .contains("column '" + column + "'")
        .contains(message);
    assertThat(storeFiles()).isEqualTo(before);
    assertThat(execute("audit", "verify").code).isZero();
  }

  @Test
  void aMissingColumnFailsTheCheckNamingTheColumn() throws Exception {
    List<String> lines = Files.readAllLines(csv);
    Files.write(
        csv,
        lines.stream().map(l -> l.substring(0, l.lastIndexOf(','))).toList()); // drop 'class'
    Outcome o = execute("run", pipeline.toString());
    assertThat(o.code).isEqualTo(1);
    assertThat(o.err.strip().lines()).hasSize(1);
    assertThat(o.err).contains("credit-g.csv").contains("column 'class'").contains("missing");
    assertThat(storeFiles()).isEmpty();
  }

  @Test
  void aFileThatIsNotCsvIsBadInput() throws Exception {
    Files.write(csv, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13, (byte) 0xff, 0});
    Outcome o = execute("run", pipeline.toString());
    assertThat(o.code).isEqualTo(2);
    assertThat(o.err.strip().lines()).hasSize(1);
    assertThat(o.err).contains("credit-g.csv");
    assertThat(storeFiles()).isEmpty();
  }

  @Test
  void textWithoutColumnsIsBadInput() throws Exception {
    Files.writeString(csv, "just some words\nand more words\n");
    Outcome o = execute("run", pipeline.toString());
    assertThat(o.code).isEqualTo(2);
    assertThat(o.err).contains("credit-g.csv").contains("not a CSV file");
    assertThat(storeFiles()).isEmpty();
  }

  @Test
  void aMissingFileIsBadInput() throws Exception {
    Files.delete(csv);
    Outcome o = execute("run", pipeline.toString());
    assertThat(o.code).isEqualTo(2);
    assertThat(o.err.strip().lines()).hasSize(1);
    assertThat(o.err).contains("credit-g.csv").contains("no such data file");
    assertThat(storeFiles()).isEmpty();
  }

  @Test
  void aMissingPipelineIsBadInputAndNoStackTrace() {
    Outcome o = execute("run", tmp.resolve("nope.yaml").toString());
    assertThat(o.code).isEqualTo(2);
    assertThat(o.err).contains("nope.yaml").doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void auditVerifyExitsOneOnATamperedLedger() throws Exception {
    Path entries = home.resolve("ledger/segments/00000000000000000000.jsonl");
    String text = Files.readString(entries);
    Files.writeString(entries, text.replaceFirst("\"actor\":\"init\"", "\"actor\":\"evil\""));
    Outcome o = execute("audit", "verify");
    assertThat(o.code).isEqualTo(1);
    assertThat(o.err).contains("ledger entry 0");
  }
}
