package dev.bastion.data;

import static dev.bastion.data.CsvFixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SchemaTest {
  private static final String VALID =
      """
      {
        "name": "loans",
        "label": "class",
        "rows": {"min": 2, "max": 10},
        "columns": [
          {"name": "age", "type": "integer", "min": 18, "max": 100},
          {"name": "ratio", "type": "number", "min": 0.5},
          {"name": "class", "type": "categorical", "values": ["good", "bad", "good"]}
        ]
      }
      """;

  static Schema parse(String json) throws BadInputException {
    return Schema.parse(utf8(json), "schema.json");
  }

  @Test
  void parsesAValidSchema() throws BadInputException {
    Schema s = parse(VALID);

    assertThat(s.name()).isEqualTo("loans");
    assertThat(s.label()).isEqualTo("class");
    assertThat(s.minRows()).isEqualTo(2);
    assertThat(s.maxRows()).isEqualTo(10);
    assertThat(s.digest()).isEqualTo(Digest.of(utf8(VALID)));
    assertThat(s.columns())
        .containsExactly(
            new Schema.Column("age", Schema.Type.INTEGER, java.util.Set.of(), 18, 100),
            new Schema.Column(
                "ratio", Schema.Type.NUMBER, java.util.Set.of(), 0.5, Double.POSITIVE_INFINITY),
            new Schema.Column(
                "class",
                Schema.Type.CATEGORICAL,
                java.util.Set.of("good", "bad"),
                Double.NEGATIVE_INFINITY,
                Double.POSITIVE_INFINITY));
    assertThat(s.column("class").orElseThrow().values()).containsExactly("good", "bad");
    assertThat(s.column("age").orElseThrow().numeric()).isTrue();
    assertThat(s.column("class").orElseThrow().numeric()).isFalse();
    assertThat(s.column("nope")).isEmpty();
  }

  @Test
  void rowBoundsDefaultToOneAndUnbounded() throws BadInputException {
    Schema s =
        parse(
            """
            {"name": "n", "label": "y", "columns": [{"name": "y", "type": "categorical", "values": ["0", "1"]}]}
            """);

    assertThat(s.minRows()).isEqualTo(1);
    assertThat(s.maxRows()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void theDigestIsOfTheExactBytes() throws BadInputException {
    assertThat(parse(VALID).digest()).isNotEqualTo(parse(VALID + " ").digest());
  }

  @Test
  void loadsTheCreditExample() throws Exception {
    Schema s = Schema.load(CsvFixtures.CREDIT.resolve("schema.json"));

    assertThat(s.name()).isEqualTo("german-credit");
    assertThat(s.label()).isEqualTo("class");
    assertThat(s.columns()).hasSize(21);
    assertThat(s.minRows()).isEqualTo(500);
  }

  @Test
  void loadNamesAMissingFile(@TempDir Path dir) {
    Path f = dir.resolve("none.json");

    assertThatThrownBy(() -> Schema.load(f))
        .isInstanceOf(BadInputException.class)
        .hasMessage(f + ": no such schema file")
        .hasCauseInstanceOf(NoSuchFileException.class);
  }

  @Test
  void loadNamesTheFileOfAMalformedSchema(@TempDir Path dir) throws IOException {
    Path f = Files.writeString(dir.resolve("bad.json"), "{\"name\": 1}");

    assertThatThrownBy(() -> Schema.load(f))
        .isInstanceOf(BadInputException.class)
        .hasMessage(f + ": field 'name' must be a string");
  }

  @Test
  void loadRefusesADirectory(@TempDir Path dir) {
    assertThatThrownBy(() -> Schema.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(dir + ": ")
        .hasMessageContaining("directory");
  }

  @Test
  void loadRefusesAFileOverTheDocumentLimit(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("huge.json");
    Files.write(f, new byte[(1 << 20) + 1]);

    assertThatThrownBy(() -> Schema.load(f))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(f + ": " + ((1 << 20) + 1) + " bytes is more than the limit");
  }

  /**
   * Bounds that are not numbers are ignored or coerced today (JsonNode.asDouble/asLong with a
   * default): "min": "abc" means no bound at all, "min": "NaN" disables the range check, and
   * integers beyond a long wrap around.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "{\"name\": \"x\", \"type\": \"number\", \"min\": \"abc\"}",
        "{\"name\": \"x\", \"type\": \"number\", \"min\": \"NaN\"}",
        "{\"name\": \"x\", \"type\": \"number\", \"max\": true}",
        "{\"name\": \"x\", \"type\": \"number\", \"max\": [1]}",
      })
  void refusesABoundThatIsNotANumber(String column) {
    String json = "{\"name\": \"n\", \"label\": \"x\", \"columns\": [" + column + "]}";

    assertThatThrownBy(() -> parse(json)).isInstanceOf(BadInputException.class);
  }

  @ParameterizedTest(name = "rows {0}")
  @ValueSource(strings = {"{\"min\": \"ten\"}", "{\"max\": 18446744073709551617}", "{\"min\": 2.5}", "[1]"})
  void refusesRowBoundsThatAreNotLongs(String rows) {
    String json =
        "{\"name\": \"n\", \"label\": \"y\", \"rows\": " + rows
            + ", \"columns\": [{\"name\": \"y\", \"type\": \"integer\"}]}";

    assertThatThrownBy(() -> parse(json)).isInstanceOf(BadInputException.class);
  }

  static Stream<Arguments> malformed() {
    String col = "{\"name\": \"y\", \"type\": \"categorical\", \"values\": [\"a\"]}";
    return Stream.of(
        Arguments.of("not JSON", "{", "schema.json: not valid JSON"),
        Arguments.of("empty", "", "schema.json: empty document"),
        Arguments.of("an array", "[]", "schema.json: a schema is a JSON object"),
        Arguments.of("missing name", "{\"label\": \"y\", \"columns\": [" + col + "]}",
            "schema.json: field 'name' must be a string"),
        Arguments.of("numeric name", "{\"name\": 5, \"label\": \"y\", \"columns\": [" + col + "]}",
            "schema.json: field 'name' must be a string"),
        Arguments.of("missing label", "{\"name\": \"n\", \"columns\": [" + col + "]}",
            "schema.json: field 'label' must be a string"),
        Arguments.of("duplicate key", "{\"name\": \"n\", \"name\": \"m\"}", "schema.json: not valid JSON"),
        Arguments.of("no columns", "{\"name\": \"n\", \"label\": \"y\"}",
            "schema.json: 'columns' must be a non-empty array"),
        Arguments.of("empty columns", "{\"name\": \"n\", \"label\": \"y\", \"columns\": []}",
            "schema.json: 'columns' must be a non-empty array"),
        Arguments.of("columns an object", "{\"name\": \"n\", \"label\": \"y\", \"columns\": {\"y\": 1}}",
            "schema.json: 'columns' must be a non-empty array"),
        Arguments.of("negative min rows",
            "{\"name\": \"n\", \"label\": \"y\", \"rows\": {\"min\": -1}, \"columns\": [" + col + "]}",
            "schema.json: rows.min and rows.max must satisfy 0 <= min <= max"),
        Arguments.of("min rows above max rows",
            "{\"name\": \"n\", \"label\": \"y\", \"rows\": {\"min\": 5, \"max\": 4}, \"columns\": [" + col + "]}",
            "schema.json: rows.min and rows.max must satisfy 0 <= min <= max"),
        Arguments.of("column without name",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [{\"type\": \"integer\"}]}",
            "schema.json: column 1: field 'name' must be a string"),
        Arguments.of("column not an object",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [" + col + ", 7]}",
            "schema.json: column 2: a column is a JSON object"),
        Arguments.of("column without type",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [{\"name\": \"y\"}]}",
            "schema.json: column 1: field 'type' must be a string"),
        Arguments.of("unknown type",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [{\"name\": \"y\", \"type\": \"float\"}]}",
            "schema.json: column 1 ('y'): type 'float' is not integer, number, categorical or purposes"),
        Arguments.of("type in capitals",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [{\"name\": \"y\", \"type\": \"INTEGER\"}]}",
            "schema.json: column 1 ('y'): type 'INTEGER' is not integer, number, categorical or purposes"),
        Arguments.of("categorical without values",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [{\"name\": \"y\", \"type\": \"categorical\"}]}",
            "schema.json: column 1 ('y'): a categorical column lists its 'values'"),
        Arguments.of("categorical with empty values",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [{\"name\": \"y\", \"type\": \"categorical\", \"values\": []}]}",
            "schema.json: column 1 ('y'): a categorical column lists its 'values'"),
        Arguments.of("categorical with values not an array",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [{\"name\": \"y\", \"type\": \"categorical\", \"values\": \"a\"}]}",
            "schema.json: column 1 ('y'): a categorical column lists its 'values'"),
        Arguments.of("min above max",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [" + col
                + ", {\"name\": \"x\", \"type\": \"number\", \"min\": 2, \"max\": 1.5}]}",
            "schema.json: column 2 ('x'): min is above max"),
        Arguments.of("label not declared",
            "{\"name\": \"n\", \"label\": \"z\", \"columns\": [" + col + "]}",
            "schema.json: label column 'z' is not declared"),
        Arguments.of("duplicate column",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [" + col + ", " + col + "]}",
            "schema.json: column 2: 'y' declared twice"),
        Arguments.of("unknown sensitivity",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [" + col
                + ", {\"name\": \"x\", \"type\": \"number\", \"sensitivity\": \"hide\"}]}",
            "schema.json: column 2 ('x'): sensitivity \"hide\" is not keep, tokenise, encrypt or drop"),
        Arguments.of("label encrypted",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [{\"name\": \"y\","
                + " \"type\": \"categorical\", \"values\": [\"a\"], \"sensitivity\": \"encrypt\"}]}",
            "schema.json: label column 'y' must be kept as it is"),
        Arguments.of("purpose with separator",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [" + col
                + ", {\"name\": \"c\", \"type\": \"purposes\", \"values\": [\"a;b\"]}]}",
            "schema.json: column 2 ('c'): a purpose is a non-empty word without ';'"),
        Arguments.of("consent column dropped",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [" + col
                + ", {\"name\": \"c\", \"type\": \"purposes\", \"values\": [\"a\"],"
                + " \"sensitivity\": \"drop\"}]}",
            "schema.json: column 2 ('c'): the consent column is kept as it is"),
        Arguments.of("two consent columns",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [" + col
                + ", {\"name\": \"c\", \"type\": \"purposes\", \"values\": [\"a\"]},"
                + " {\"name\": \"d\", \"type\": \"purposes\", \"values\": [\"a\"]}]}",
            "schema.json: column 3 ('d'): a second consent (purposes) column"),
        Arguments.of("unknown top-level field (misspelt)",
            "{\"name\": \"n\", \"label\": \"y\", \"colums\": [], \"columns\": [" + col + "]}",
            "schema.json: unknown field 'colums' (a schema knows [name, label, rows, columns])"),
        Arguments.of("unknown rows field",
            "{\"name\": \"n\", \"label\": \"y\", \"rows\": {\"minimum\": 5}, \"columns\": ["
                + col + "]}",
            "schema.json: unknown field 'rows.minimum' (a schema knows [rows.min, rows.max])"),
        Arguments.of("misspelt bound would leave the column unchecked",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [" + col
                + ", {\"name\": \"x\", \"type\": \"number\", \"mxa\": 5}]}",
            "schema.json: column 2 ('x'): unknown field 'mxa'"),
        Arguments.of("a field name with a newline stays on one line",
            "{\"name\": \"n\", \"label\": \"y\", \"a\\nb\": 1, \"columns\": [" + col + "]}",
            "schema.json: unknown field 'a?b'"),
        Arguments.of("values on a numeric column",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [" + col
                + ", {\"name\": \"x\", \"type\": \"integer\", \"values\": [\"1\"]}]}",
            "schema.json: column 2 ('x'): 'values' does not apply to an integer column"),
        Arguments.of("a bound on a categorical column",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [{\"name\": \"y\","
                + " \"type\": \"categorical\", \"values\": [\"a\"], \"max\": 3}]}",
            "schema.json: column 1 ('y'): 'max' does not apply to a categorical column"),
        Arguments.of("a category that is not a string",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [{\"name\": \"y\","
                + " \"type\": \"categorical\", \"values\": [\"a\", 7]}]}",
            "schema.json: column 1 ('y'): value 7 is not a string"),
        Arguments.of("empty data set name", "{\"name\": \"\", \"label\": \"y\", \"columns\": [" + col
            + "]}", "schema.json: field 'name' is empty"),
        Arguments.of("a column name with a newline stays on one line",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [" + col
                + ", {\"name\": \"x\\ny\", \"type\": \"float\"}]}",
            "schema.json: column 2 ('x?y'): type 'float' is not"),
        Arguments.of("empty column name",
            "{\"name\": \"n\", \"label\": \"y\", \"columns\": [" + col
                + ", {\"name\": \"\", \"type\": \"integer\"}]}",
            "schema.json: column 2: field 'name' is empty"));
  }

  @Test
  void readsSensitivityAndTheConsentColumn() throws Exception {
    Schema s = parse("{\"name\": \"n\", \"label\": \"y\", \"columns\": ["
        + "{\"name\": \"y\", \"type\": \"categorical\", \"values\": [\"a\", \"b\"]},"
        + "{\"name\": \"ssn\", \"type\": \"categorical\", \"values\": [\"1\"],"
        + " \"sensitivity\": \"tokenise\"},"
        + "{\"name\": \"age\", \"type\": \"integer\", \"sensitivity\": \"encrypt\"},"
        + "{\"name\": \"note\", \"type\": \"categorical\", \"values\": [\"x\"],"
        + " \"sensitivity\": \"drop\"},"
        + "{\"name\": \"consent\", \"type\": \"purposes\", \"values\": [\"p\", \"q\"]}]}");
    assertThat(s.columnsWith(Schema.Sensitivity.TOKENISE)).containsExactly("ssn");
    assertThat(s.columnsWith(Schema.Sensitivity.ENCRYPT)).containsExactly("age");
    assertThat(s.columnsWith(Schema.Sensitivity.DROP)).containsExactly("note");
    assertThat(s.columnsWith(Schema.Sensitivity.KEEP)).containsExactly("y", "consent");
    assertThat(s.consentColumn().orElseThrow().name()).isEqualTo("consent");
    assertThat(s.columns().stream().filter(s::isFeature).map(Schema.Column::name))
        .containsExactly("ssn");
    assertThat(s.column("consent").orElseThrow().numeric()).isFalse();

    Table t = new Table("t.csv", List.of("y", "ssn", "age", "note", "consent"), List.of(
        new Table.Row(2, List.of("a", "1", "30", "x", "p;q")),
        new Table.Row(3, List.of("b", "1", "31", "x", "")),
        new Table.Row(4, List.of("a", "1", "32", "x", "p;r")),
        new Table.Row(5, List.of("a", "1", "33", "x", "p;"))));
    Validator.Result r = Validator.validate(t, s);
    assertThat(r.issues()).extracting(Validator.Issue::describe).containsExactly(
        "t.csv: row 3 (line 4), column 'consent': 'r' is not a declared purpose",
        "t.csv: row 4 (line 5), column 'consent': '' is not a declared purpose");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void refusesAMalformedSchemaNamingTheFile(String name, String json, String message) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(message);
  }
}
