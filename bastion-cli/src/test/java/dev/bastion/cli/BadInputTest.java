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
  void aBadValueOfAProtectedColumnIsNotEchoed() throws Exception {
    // personal_status is in the pipeline's protect: list (tokenised before anything is stored).
    setCell(5, "personal_status", "Jane Q Secret");
    Outcome o = execute("run", pipeline.toString());
    assertThat(o.code).isEqualTo(1);
    assertThat(o.err.strip().lines()).hasSize(1);
    assertThat(o.err)
        .contains("row 5 ")
        .contains("column 'personal_status'")
        .contains("is not an allowed category")
        .doesNotContain("Jane");
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

  /** The files of approvals/ and their bytes. */
  private java.util.Map<Path, String> approvals() throws IOException {
    try (Stream<Path> s = Files.list(home.resolve("approvals"))) {
      java.util.Map<Path, String> m = new java.util.TreeMap<>();
      for (Path f : s.toList()) {
        m.put(f, Files.readString(f));
      }
      return m;
    }
  }

  /**
   * In {@code file} (next to the pipeline, or in the home), {@code from} replaced by {@code to}.
   */
  private void edit(String file, String from, String to) throws IOException {
    Path f = file.equals("gates.json") ? home.resolve("policies").resolve("gates.json")
        : pipeline.resolveSibling(file);
    String text = Files.readString(f);
    assertThat(text).as(file).contains(from);
    Files.writeString(f, text.replace(from, to));
  }

  static Stream<org.junit.jupiter.params.provider.Arguments> unapprovable() {
    String consent = "{\"name\": \"consent\", \"type\": \"purposes\", \"values\":"
        + " [\"credit-scoring\"]},\n    {\"name\": \"class\"";
    return Stream.of(
        args("misspelt key", "pipeline.yaml", "  epochs: 50\n", "  epochz: 500\n",
            "pipeline.yaml: unknown key 'train.epochz' (line 14)"),
        args("top-level key", "pipeline.yaml", "register:\n", "extra_key: 1\nregister:\n",
            "pipeline.yaml: unknown key 'extra_key' (line 19)"),
        args("stages", "pipeline.yaml", "register:\n", "stages: [ingest, train, register]\n"
            + "register:\n", "pipeline.yaml: unknown key 'stages' (line 19)"),
        args("duplicate key", "pipeline.yaml", "data: credit-g.csv\n",
            "name: dup\ndata: credit-g.csv\n", "pipeline.yaml: duplicate key 'name' (line 6)"),
        args("protect a column not in the schema", "pipeline.yaml", "  - foreign_worker\n",
            "  - nosuchcol\n", "pipeline.yaml: protect: column 'nosuchcol' is not in the schema"),
        args("protect the label", "pipeline.yaml", "  - foreign_worker\n", "  - class\n",
            "pipeline.yaml: protect: column 'class' must be a categorical input column"),
        args("a purpose the schema does not declare", "schema.json", "{\"name\": \"class\"",
            consent, "pipeline.yaml: purpose 'weather' is not one that data set"),
        args("sensitivity bogus", "schema.json", "\"min\": 18, \"max\": 100}",
            "\"min\": 18, \"max\": 100, \"sensitivity\": \"bogus\"}",
            "sensitivity \"bogus\" is not keep, tokenise, encrypt or drop"),
        args("a column declared twice", "schema.json", "{\"name\": \"class\"",
            "{\"name\": \"age\", \"type\": \"integer\"},\n    {\"name\": \"class\"",
            "'age' declared twice"),
        args("a label not declared", "schema.json", "\"label\": \"class\"",
            "\"label\": \"klass\"", "schema.json: label column 'klass' is not declared"),
        args("a detector that is none", "gates.json", "\"trigger\"", "\"nosuch\"",
            "gate 'train': suspect_detectors names 'nosuch', which is not a detector"),
        args("an unknown gate field", "gates.json", "\"suspect_detectors\"",
            "\"suspect_detector\"", "gates.json: gates[0]: unknown field 'suspect_detector'"));
  }

  private static org.junit.jupiter.params.provider.Arguments args(Object... a) {
    return org.junit.jupiter.params.provider.Arguments.of(a);
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.MethodSource("unapprovable")
  void whatEveryRunWouldRefuseIsNotApproved(String what, String file, String from, String to,
      String message) throws Exception {
    edit(file, from, to);
    if (what.contains("purpose")) {
      edit("pipeline.yaml", "schema: schema.json\n", "schema: schema.json\npurpose: weather\n");
    }
    var approved = approvals();
    long entries = Files.readString(home.resolve("ledger/segments/00000000000000000000.jsonl"))
        .lines().count();
    Outcome o = file.equals("gates.json") ? execute("approve", "--policies")
        : execute("approve", pipeline.toString());
    assertThat(o.code).isEqualTo(2);
    assertThat(o.err.strip().lines()).singleElement().asString()
        .startsWith("bastion: ").contains(message);
    assertThat(approvals()).isEqualTo(approved);
    assertThat(Files.readString(home.resolve("ledger/segments/00000000000000000000.jsonl"))
        .lines().count()).isEqualTo(entries);
    if (file.equals("pipeline.yaml") && message.contains("key")) {
      // Read before anything else, the definition is refused by a run the same way.
      assertThat(execute("run", pipeline.toString())).isEqualTo(o);
    }
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
