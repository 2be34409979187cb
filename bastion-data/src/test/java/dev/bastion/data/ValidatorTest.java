package dev.bastion.data;

import static dev.bastion.data.CsvFixtures.read;
import static dev.bastion.data.CsvFixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.core.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ValidatorTest {
  /** id: integer 1..1000; score: number 0..1; colour: red|green; label: yes|no; 1..5 rows. */
  private static final String SCHEMA =
      """
      {
        "name": "t", "label": "label", "rows": {"min": 1, "max": 5},
        "columns": [
          {"name": "id", "type": "integer", "min": 1, "max": 1000},
          {"name": "score", "type": "number", "min": 0, "max": 1},
          {"name": "colour", "type": "categorical", "values": ["red", "green"]},
          {"name": "label", "type": "categorical", "values": ["yes", "no"]}
        ]
      }
      """;

  private static final String HEADER = "id,score,colour,label\n";

  static Schema schema() throws BadInputException {
    return Schema.parse(utf8(SCHEMA), "schema.json");
  }

  static Validator.Result validate(String csv) throws BadInputException {
    return Validator.validate(read(csv), schema());
  }

  @Test
  void aValidTableHasNoIssues() throws BadInputException {
    Validator.Result r =
        validate(HEADER + "1,0,red,yes\n1000,1.0,green,no\n+5,0.5e0,red,no\n7,1e-3,green,yes\n");

    assertThat(r.issues()).isEmpty();
    assertThat(r.ok()).isTrue();
    // id -0 is 0, below the minimum of 1
    assertThat(validate(HEADER + "-0,0,red,yes\n").issues())
        .extracting(Validator.Issue::message)
        .containsExactly("-0 is outside the range 1..1000");
  }

  @Test
  void columnOrderInTheFileDoesNotMatter() throws BadInputException {
    Validator.Result r = validate("label,colour,score,id\nyes,red,0.25,7\n");

    assertThat(r.ok()).isTrue();
    assertThat(r.rows()).isEqualTo(1);
  }

  /** One bad cell in row 2 (line 3, since row 1 is valid): the issue it gives. */
  static Stream<Arguments> cellIssues() {
    return Stream.of(
        Arguments.of("missing integer", ",0.5,red,yes", "id", "value is missing"),
        Arguments.of("missing category", "1,0.5,,yes", "colour", "value is missing"),
        Arguments.of("not an integer", "1.5,0.5,red,yes", "id", "'1.5' is not an integer"),
        Arguments.of("integer with spaces", " 7,0.5,red,yes", "id", "' 7' is not an integer"),
        Arguments.of("integer overflow", "99999999999999999999,0.5,red,yes", "id",
            "'99999999999999999999' is not an integer"),
        Arguments.of("not a number", "1,abc,red,yes", "score", "'abc' is not a number"),
        Arguments.of("number with a comma", "1,\"0,5\",red,yes", "score", "'0,5' is not a number"),
        Arguments.of("NaN", "1,NaN,red,yes", "score", "'NaN' is not a finite number"),
        Arguments.of("Infinity", "1,-Infinity,red,yes", "score", "'-Infinity' is not a finite number"),
        Arguments.of("overflowing number", "1,1e400,red,yes", "score", "'1e400' is not a finite number"),
        Arguments.of("unknown category", "1,0.5,blue,yes", "colour", "'blue' is not an allowed category"),
        Arguments.of("category differs in case", "1,0.5,Red,yes", "colour", "'Red' is not an allowed category"),
        Arguments.of("long category is clipped", "1,0.5," + "x".repeat(50) + ",yes", "colour",
            "'" + "x".repeat(40) + "...' is not an allowed category"),
        Arguments.of("unknown label", "1,0.5,red,maybe", "label", "'maybe' is not an allowed category"),
        Arguments.of("integer below range", "0,0.5,red,yes", "id", "0 is outside the range 1..1000"),
        Arguments.of("integer above range", "1001,0.5,red,yes", "id", "1001 is outside the range 1..1000"),
        Arguments.of("number above range", "1,1.0000001,red,yes", "score", "1.0000001 is outside the range 0..1"),
        Arguments.of("number below range", "1,-0.1,red,yes", "score", "-0.1 is outside the range 0..1"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cellIssues")
  void reportsACellIssueWithRowLineAndColumn(String name, String row, String column, String message)
      throws BadInputException {
    Validator.Result r = validate(HEADER + "1,0.5,red,yes\n" + row + "\n3,0.5,green,no\n");

    assertThat(r.issues()).containsExactly(new Validator.Issue("test.csv", 3, 2, column, message));
    assertThat(r.issues().get(0).describe())
        .isEqualTo("test.csv: row 2 (line 3), column '" + column + "': " + message);
    assertThat(r.rows()).isEqualTo(3);
    assertThat(r.invalidRows()).isEqualTo(1);
    assertThat(r.issueCount()).isEqualTo(1);
    assertThat(r.ok()).isFalse();
  }

  /** A schema with sensitive columns: their values never appear in an issue. */
  private static final String SENSITIVE_SCHEMA =
      """
      {
        "name": "s", "label": "label",
        "columns": [
          {"name": "name", "type": "categorical", "values": ["ann", "bob"],
           "sensitivity": "tokenise"},
          {"name": "ssn", "type": "integer", "min": 1, "max": 999, "sensitivity": "encrypt"},
          {"name": "city", "type": "categorical", "values": ["x", "y"], "sensitivity": "drop"},
          {"name": "colour", "type": "categorical", "values": ["red", "green"]},
          {"name": "label", "type": "categorical", "values": ["yes", "no"]}
        ]
      }
      """;

  @Test
  void valuesOfSensitiveColumnsAreWithheldFromIssues() throws BadInputException {
    Schema s = Schema.parse(utf8(SENSITIVE_SCHEMA), "schema.json");
    String csv = "name,ssn,city,colour,label\n"
        + "Jane Secret,1234,Atlantis,purple,yes\n"
        + "ann,12x,x,red,no\n";
    List<String> shown = Validator.validate(read(csv), s).issues().stream()
        .map(Validator.Issue::describe).toList();
    assertThat(shown).containsExactly(
        "test.csv: row 1 (line 2), column 'name': " + Validator.WITHHELD
            + " is not an allowed category",
        "test.csv: row 1 (line 2), column 'ssn': " + Validator.WITHHELD
            + " is outside the range 1..999",
        "test.csv: row 1 (line 2), column 'city': " + Validator.WITHHELD
            + " is not an allowed category",
        "test.csv: row 1 (line 2), column 'colour': 'purple' is not an allowed category",
        "test.csv: row 2 (line 3), column 'ssn': " + Validator.WITHHELD + " is not an integer");
    // A column the caller protects (a pipeline's protect: list) is withheld too.
    List<String> protectedColour = Validator.validate(read(csv), s, java.util.Set.of("colour"))
        .issues().stream().map(Validator.Issue::message).toList();
    assertThat(protectedColour).doesNotContain("'purple' is not an allowed category")
        .contains(Validator.WITHHELD + " is not an allowed category");
    assertThat(String.join("\n", shown)).doesNotContain("Jane", "1234", "Atlantis", "12x");
  }

  @Test
  void rowsAndLinesDifferAfterAMultiLineCell() throws BadInputException {
    Validator.Result r =
        validate(HEADER + "1,0.5,\"re\nd\",yes\n\n2,x,red,yes\n");

    assertThat(r.issues())
        .containsExactly(
            new Validator.Issue("test.csv", 2, 1, "colour", "'re?d' is not an allowed category"),
            new Validator.Issue("test.csv", 5, 2, "score", "'x' is not a number"));
  }

  @Test
  void invalidRowsCountsRowsNotIssues() throws BadInputException {
    Validator.Result r =
        validate(HEADER + ",x,blue,maybe\n1,0.5,red,yes\n0,2,red,no\n");

    assertThat(r.issueCount()).isEqualTo(6);
    assertThat(r.invalidRows()).isEqualTo(2);
    assertThat(r.issues())
        .extracting(Validator.Issue::row, Validator.Issue::column)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1L, "id"),
            org.assertj.core.groups.Tuple.tuple(1L, "score"),
            org.assertj.core.groups.Tuple.tuple(1L, "colour"),
            org.assertj.core.groups.Tuple.tuple(1L, "label"),
            org.assertj.core.groups.Tuple.tuple(3L, "id"),
            org.assertj.core.groups.Tuple.tuple(3L, "score"));
  }

  @Test
  void aMissingColumnIsAHeaderIssueAndRowsAreNotChecked() throws BadInputException {
    Validator.Result r = validate("id,score,label\nx,y,z\n");

    assertThat(r.issues())
        .containsExactly(
            new Validator.Issue("test.csv", 1, 0, "colour", "column is missing from the header"));
    assertThat(r.issues().get(0).describe())
        .isEqualTo("test.csv: line 1, column 'colour': column is missing from the header");
    assertThat(r.invalidRows()).isZero();
    assertThat(r.rows()).isEqualTo(1);
  }

  @Test
  void anExtraColumnIsAHeaderIssue() throws BadInputException {
    Validator.Result r = validate("id,score,colour,label,ssn\n1,0.5,red,yes,123\n");

    assertThat(r.issues())
        .containsExactly(new Validator.Issue("test.csv", 1, 0, "ssn", "column is not in the schema"));
    assertThat(r.issues().get(0).describe())
        .isEqualTo("test.csv: line 1, column 'ssn': column is not in the schema");
  }

  @Test
  void missingAndExtraColumnsAreAllReported() throws BadInputException {
    Validator.Result r = validate("id,colour_,score_,label\n1,red,0.5,yes\n");

    assertThat(r.issues())
        .extracting(Validator.Issue::column, Validator.Issue::message)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("score", "column is missing from the header"),
            org.assertj.core.groups.Tuple.tuple("colour", "column is missing from the header"),
            org.assertj.core.groups.Tuple.tuple("colour_", "column is not in the schema"),
            org.assertj.core.groups.Tuple.tuple("score_", "column is not in the schema"));
  }

  @Test
  void tooFewRowsIsAFileIssue() throws BadInputException {
    Validator.Result r = validate(HEADER);

    assertThat(r.issues())
        .containsExactly(new Validator.Issue("test.csv", 0, 0, "", "0 rows, outside the accepted range 1..5"));
    assertThat(r.issues().get(0).describe())
        .isEqualTo("test.csv: 0 rows, outside the accepted range 1..5");
    assertThat(r.ok()).isFalse();
  }

  @Test
  void tooManyRowsIsAFileIssue() throws BadInputException {
    Validator.Result r = validate(HEADER + "1,0,red,yes\n".repeat(6));

    assertThat(r.issues())
        .containsExactly(new Validator.Issue("test.csv", 0, 0, "", "6 rows, outside the accepted range 1..5"));
    assertThat(r.invalidRows()).isZero();
  }

  @Test
  void rowCountBoundsAreInclusive() throws BadInputException {
    assertThat(validate(HEADER + "1,0,red,yes\n".repeat(5)).ok()).isTrue();
    assertThat(validate(HEADER + "1,0,red,yes\n").ok()).isTrue();
  }

  @Test
  void issuesAreCappedButCountingGoesOn() throws BadInputException {
    StringBuilder csv = new StringBuilder(HEADER);
    for (int i = 0; i < 60; i++) {
      csv.append("0,2,red,yes\n"); // two issues per row
    }
    Validator.Result r =
        Validator.validate(read(csv.toString()), Schema.parse(utf8(SCHEMA.replace("\"max\": 5", "\"max\": 50")), "s"));

    assertThat(r.issues()).hasSize(Validator.MAX_ISSUES);
    assertThat(r.issueCount()).isEqualTo(121); // 120 cells and the row count
    assertThat(r.invalidRows()).isEqualTo(60);
    assertThat(r.rows()).isEqualTo(60);
    List<Validator.Issue> last = r.issues().subList(98, 100);
    assertThat(last)
        .containsExactly(
            new Validator.Issue("test.csv", 51, 50, "id", "0 is outside the range 1..1000"),
            new Validator.Issue("test.csv", 51, 50, "score", "2 is outside the range 0..1"));
  }

  @Test
  void theResultsIssueListIsACopy() throws BadInputException {
    List<Validator.Issue> issues = new ArrayList<>();
    issues.add(new Validator.Issue("f", 0, 0, "", "m"));
    Validator.Result r = new Validator.Result(0, 0, 1, issues);
    issues.clear();

    assertThat(r.issues()).hasSize(1);
  }

  @Test
  void describeFormatsEachShapeOfIssue() {
    assertThat(new Validator.Issue("f.csv", 7, 3, "c", "bad").describe())
        .isEqualTo("f.csv: row 3 (line 7), column 'c': bad");
    assertThat(new Validator.Issue("f.csv", 1, 0, "c", "bad").describe())
        .isEqualTo("f.csv: line 1, column 'c': bad");
    assertThat(new Validator.Issue("f.csv", 0, 0, "", "bad").describe()).isEqualTo("f.csv: bad");
    assertThat(new Validator.Issue("f.csv", 4, 2, "", "bad").describe())
        .isEqualTo("f.csv: row 2 (line 4), bad");
  }

  @Test
  void theCreditExampleIsValid() throws Exception {
    Table t = new CsvReader().read(CsvFixtures.CREDIT.resolve("credit-g.csv"));
    Schema s = Schema.load(CsvFixtures.CREDIT.resolve("schema.json"));

    Validator.Result r = Validator.validate(t, s);

    assertThat(r.issues()).isEmpty();
    assertThat(r.rows()).isEqualTo(1000);
    assertThat(r.issueCount()).isZero();
    assertThat(r.invalidRows()).isZero();
    assertThat(t.columns()).hasSize(21).endsWith("class");
    assertThat(t.rows().get(0).line()).isEqualTo(2);
    assertThat(t.rows().get(999).line()).isEqualTo(1001);
  }

  /**
   * NUMBER cells go through Double.parseDouble, which also takes Java-source spellings and
   * surrounding whitespace: "1d", "2f", "0x1p3", " 5 " all validate as numbers, while INTEGER
   * cells with spaces are refused. A data format should not accept Java literals.
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "score = \"{0}\"")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"1d", "0.5f", "0x1p-1", " 0.5", "0.5 "})
  void javaLiteralSpellingsAreNotNumbers(String score) throws BadInputException {
    Validator.Result r = validate(HEADER + "1,\"" + score + "\",red,yes\n");

    assertThat(r.ok()).isFalse();
  }
}
