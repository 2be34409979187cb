package dev.bastion.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ArffReader} on the real Weka files, the syntax it accepts, and what it refuses. */
class ArffReaderTest {
  @TempDir Path tmp;

  private static Path resource(String name) throws Exception {
    return Path.of(ArffReaderTest.class.getResource("arff/" + name).toURI());
  }

  private static ArffReader.Arff parse(String text) throws Exception {
    return new ArffReader().read(new StringReader(text), "t.arff");
  }

  @Test
  void readsCreditG() throws Exception {
    ArffReader.Arff a = new ArffReader().read(resource("credit-g.arff"));
    assertThat(a.relation()).isEqualTo("german_credit");
    assertThat(a.attributes()).hasSize(21);
    assertThat(a.table().rows()).hasSize(1000);
    assertThat(a.attributes().get(0).values())
        .containsExactly("<0", "0<=X<200", ">=200", "no checking");
    assertThat(a.attributes().get(1).kind()).isEqualTo(ArffReader.Kind.NUMERIC);
    assertThat(a.table().columns().get(20)).isEqualTo("class");
    assertThat(a.table().rows().get(0).cells().subList(0, 4))
        .containsExactly("<0", "6", "critical/other existing credit", "radio/tv");
    assertThat(a.table().rows().get(0).line()).isEqualTo(302);
    assertThat(a.table().rows().stream().filter(r -> r.cells().get(20).equals("bad")).count())
        .isEqualTo(300);
    ArffFixtures.assertWellFormed(a, ArffReader.Options.DEFAULT);
  }

  @Test
  void creditGMatchesTheProjectsCsv() throws Exception {
    ArffReader.Arff a = new ArffReader().read(resource("credit-g.arff"));
    Path csv = Path.of("..", "examples", "credit", "credit-g.csv");
    Table t = new CsvReader().read(csv);
    assertThat(t.rows()).hasSize(a.table().rows().size());
    int label = t.indexOf("class");
    for (int i = 0; i < t.rows().size(); i++) {
      assertThat(t.rows().get(i).cells().get(label))
          .isEqualTo(a.table().rows().get(i).cells().get(20));
    }
  }

  @Test
  void readsDiabetes() throws Exception {
    ArffReader.Arff a = new ArffReader().read(resource("diabetes.arff"));
    assertThat(a.relation()).isEqualTo("pima_diabetes");
    assertThat(a.table().columns())
        .containsExactly("preg", "plas", "pres", "skin", "insu", "mass", "pedi", "age", "class");
    assertThat(a.table().rows()).hasSize(768);
    assertThat(a.table().rows().get(0).cells())
        .containsExactly("6", "148", "72", "35", "0", "33.6", "0.627", "50", "tested_positive");
    assertThat(a.attributes().get(8).values()).containsExactly("tested_negative", "tested_positive");
    ArffFixtures.assertWellFormed(a, ArffReader.Options.DEFAULT);
  }

  @Test
  void syntax() throws Exception {
    ArffReader.Arff a =
        parse(
            "% comment\n\n@RELATION 'my data'\n@Attribute \"a b\" REAL\n@attribute n integer\n"
                + "@attribute s string\n@attribute c {x, 'y z', \"w,\"}\n@DATA\n"
                + "% another comment\n1.5, 2 ,'it\\'s',x\n?,?,?,?\r\n-3e2,4,\"q\",'y z'\r\n"
                + " 0 , 0 , '?' , \"w,\"\n");
    assertThat(a.relation()).isEqualTo("my data");
    assertThat(a.table().columns()).containsExactly("a b", "n", "s", "c");
    assertThat(a.attributes().get(3).values()).containsExactly("x", "y z", "w,");
    List<Table.Row> rows = a.table().rows();
    assertThat(rows).hasSize(4);
    assertThat(rows.get(0).cells()).containsExactly("1.5", "2", "it's", "x");
    assertThat(rows.get(1).cells()).containsExactly("", "", "", "");
    assertThat(rows.get(2).cells()).containsExactly("-3e2", "4", "q", "y z");
    assertThat(rows.get(3).cells()).containsExactly("0", "0", "?", "w,");
    assertThat(rows.get(0).line()).isEqualTo(10);
    assertThat(rows.get(3).line()).isEqualTo(13);
  }

  @ParameterizedTest
  @CsvSource(
      delimiterString = "|",
      value = {
        "''| empty, expected @relation",
        "'@relation r\n@attribute a numeric\n'| no @data section",
        "'@attribute a numeric\n@data\n'| line 1: @attribute before @relation",
        "'@relation r\n@data\n'| line 2: @data with no attributes",
        "'@relation r\n@attribute a numeric\n@attribute a numeric\n@data\n'| line 3: attribute 'a' declared twice",
        "'@relation r\n@attribute a date\n@data\n'| line 2: attribute 'a': date attributes are not supported",
        "'@relation r\n@attribute a float\n@data\n'| line 2: attribute 'a': unknown type 'float'",
        "'@relation r\n@attribute a\n@data\n'| line 2: attribute 'a' has no type",
        "'@relation r\n@attribute a {}\n@data\n'| line 2: attribute 'a' lists no values",
        "'@relation r\n@attribute a {x,x}\n@data\n'| line 2: attribute 'a' lists 'x' twice",
        "'@relation r\n@attribute a {x,y\n@data\n'| line 2: expected ',' at column 18, found the end of the line",
        "'@relation r\n@attribute a numeric\n@data\nx\n'| row 1 (line 4): attribute 'a': 'x' is not a number",
        "'@relation r\n@attribute a numeric\n@data\nNaN\n'| row 1 (line 4): attribute 'a': 'NaN' is not a number",
        "'@relation r\n@attribute a {x,y}\n@data\nz\n'| row 1 (line 4): attribute 'a': 'z' is not one of its declared values",
        "'@relation r\n@attribute a numeric\n@data\n1,2\n'| row 1 (line 4): more than the 1 values the header declares",
        "'@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n1\n'| row 1 (line 5): 1 values, the header declares 2",
        "'@relation r\n@attribute a string\n@data\n\"abc\n'| row 1 (line 4): quote opened at column 1 is not closed",
        "'@relation r\n@attribute a string\n@data\nab\"c\n'| row 1 (line 4): quote inside an unquoted value at column 3",
        "'@relation r\n@attribute a string\n@data\n{0 x}\n'| row 1 (line 4): sparse rows are not supported",
        "'@relation r\n@attribute a string\n@data\n1 2\n'| row 1 (line 4): expected ',' at column 3, found '2'",
        "'@relation r\n@attribute a string\n@attribute b string\n@data\n1,\n'| row 1 (line 5): expected a value at column 3",
        "'@relation r\n@bogus\n'| line 2: expected @relation, @attribute or @data, found '@bogus'",
        "'@relation r\n@relation s\n'| line 2: a second @relation",
      })
  void refusesWithFileAndLineAndDataRow(String text, String message) {
    assertThatThrownBy(() -> parse(text))
        .isInstanceOf(BadInputException.class)
        .hasMessage("t.arff: " + message.strip());
  }

  @ParameterizedTest(name = "bad byte on line {0}")
  @ValueSource(ints = {1, 4, 6, 7})
  void undecodableBytesAreNamedByTheirLine(int bad) throws Exception {
    String[] lines = {"@relation t", "@attribute a numeric", "@attribute c {x,y}", "@data",
        "1,x", "2,y", "3,x"};
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < lines.length; i++) {
      out.write(lines[i].getBytes(java.nio.charset.StandardCharsets.UTF_8));
      if (i + 1 == bad) {
        out.write(0xff); // at the end of the line: after its other characters were read
      }
      out.write('\n');
    }
    assertThatThrownBy(() -> new ArffReader().read(
            InputText.strictUtf8(new java.io.ByteArrayInputStream(out.toByteArray())), "t.arff"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("t.arff: line " + bad + ": not UTF-8 text");
  }

  @ParameterizedTest(name = "bad byte starting line {0}")
  @ValueSource(ints = {2, 5, 7})
  void undecodableBytesAtTheStartOfALineAreNamedByThatLine(int bad) throws Exception {
    String[] lines = {"@relation t", "@attribute a numeric", "@attribute c {x,y}", "@data",
        "1,x", "2,y", "3,x"};
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < lines.length; i++) {
      if (i + 1 == bad) {
        out.write(0xff); // before the line's other characters: the decoder must not read ahead
      }
      out.write(lines[i].getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.write('\n');
    }
    assertThatThrownBy(() -> new ArffReader().read(
            InputText.strictUtf8(new java.io.ByteArrayInputStream(out.toByteArray())), "t.arff"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("line " + bad + ": not UTF-8 text");
  }

  @Test
  void limits() throws Exception {
    String text = "@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n1,2\n3,4\n";
    assertThatThrownBy(
            () -> new ArffReader(new ArffReader.Options(1 << 20, 1 << 10, 1, 10, 10))
                .read(new StringReader(text), "t.arff"))
        .hasMessage("t.arff: line 3: more than the limit of 1 attributes");
    assertThatThrownBy(
            () -> new ArffReader(new ArffReader.Options(1 << 20, 1 << 10, 10, 1, 10))
                .read(new StringReader(text), "t.arff"))
        .hasMessage("t.arff: row 2 (line 6): more than the limit of 1 rows");
    assertThatThrownBy(
            () -> new ArffReader(new ArffReader.Options(1 << 20, 12, 10, 10, 10))
                .read(new StringReader(text), "t.arff"))
        .hasMessage("t.arff: line 2: longer than the limit of 12 characters");
    assertThatThrownBy(
            () -> new ArffReader(new ArffReader.Options(1 << 20, 100, 10, 10, 2))
                .read(new StringReader("@relation r\n@attribute a {x,y,z}\n@data\n"), "t.arff"))
        .hasMessage("t.arff: line 2: attribute 'a' has more than the limit of 2 values");
    Path f = tmp.resolve("big.arff");
    Files.writeString(f, text);
    assertThatThrownBy(() -> new ArffReader(new ArffReader.Options(10, 100, 10, 10, 10)).read(f))
        .hasMessage(f + ": " + text.length() + " bytes is more than the limit of 10");
    assertThatThrownBy(() -> new ArffReader().read(tmp.resolve("none.arff")))
        .hasMessage(tmp.resolve("none.arff") + ": no such file");
    Files.write(f, "@relation r\n\u0000".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    byte[] bad = Files.readAllBytes(f);
    bad[bad.length - 1] = (byte) 0xff;
    Files.write(f, bad);
    assertThatThrownBy(() -> new ArffReader().read(f))
        .hasMessage(f + ": line 2: not UTF-8 text");
    Files.write(f, new byte[] {'@', 'r', 0, 0x0a});
    assertThatThrownBy(() -> new ArffReader().read(f))
        .hasMessage(f + ": line 1: NUL byte; this is not a text ARFF file");
  }
}
