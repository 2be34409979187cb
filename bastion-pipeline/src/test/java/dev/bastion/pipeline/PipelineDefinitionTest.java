package dev.bastion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A definition has only the keys its format defines, each once: a misspelt or repeated key is
 * refused, naming the key and its line, never ignored (a misspelt {@code epochs} would leave the
 * default, past the gate that bounds it).
 */
class PipelineDefinitionTest {
  @TempDir Path tmp;

  /** The shipped definition, its {@code from} replaced by {@code to}. */
  private Path edited(String from, String to) throws Exception {
    Path pipeline = CreditExample.copyTo(tmp.resolve("credit"));
    String yaml = Files.readString(pipeline);
    assertThat(yaml).contains(from);
    Files.writeString(pipeline, yaml.replace(from, to));
    return pipeline;
  }

  static Stream<Arguments> badKeys() {
    return Stream.of(
        Arguments.of("misspelt train key", "  epochs: 50\n", "  epochz: 500\n",
            "unknown key 'train.epochz' (line 14)"),
        Arguments.of("unknown top-level key", "register:\n", "extra_key: 1\nregister:\n",
            "unknown key 'extra_key' (line 19)"),
        Arguments.of("a list of stages", "register:\n", "stages: [ingest, train, register]\n"
            + "register:\n", "unknown key 'stages' (line 19)"),
        Arguments.of("misspelt top-level key", "protect:\n", "protects:\n",
            "unknown key 'protects' (line 9)"),
        Arguments.of("unknown register key", "  model: credit-risk\n",
            "  model: credit-risk\n  version: 2\n", "unknown key 'register.version' (line 21)"),
        Arguments.of("duplicate top-level key", "register:\n", "name: other\nregister:\n",
            "duplicate key 'name' (line 19)"),
        Arguments.of("duplicate train key", "  seed: 42\n", "  seed: 42\n  seed: 7\n",
            "duplicate key 'train.seed' (line 17)"),
        Arguments.of("duplicate section", "register:\n", "train:\n  epochs: 500\nregister:\n",
            "duplicate key 'train' (line 19)"),
        Arguments.of("a second document", "  model: credit-risk\n",
            "  model: credit-risk\n---\nname: other\n",
            "a second YAML document (line 22); a definition is one document"),
        Arguments.of("a second document, a scalar", "  model: credit-risk\n",
            "  model: credit-risk\n--- 42\n",
            "a second YAML document (line 21); a definition is one document"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badKeys")
  void aKeyTheFormatDoesNotDefineOrATwiceGivenKeyIsRefused(String name, String from, String to,
      String message) throws Exception {
    Path pipeline = edited(from, to);

    assertThatThrownBy(() -> PipelineDefinition.load(pipeline))
        .isInstanceOf(BadInputException.class)
        .hasMessage(pipeline + ": " + message);
  }

  @Test
  void aDelimiterOtherThanACommaIsHowTheDataIsRead() throws Exception {
    Path pipeline = edited("data: credit-g.csv\n", "data: credit-g.csv\ndelimiter: \";\"\n");
    Path csv = pipeline.resolveSibling("credit-g.csv");
    String text = Files.readString(csv);
    assertThat(text).doesNotContain(";").doesNotContain("\"");
    Files.writeString(csv, text.replace(',', ';'));
    assertThat(PipelineDefinition.load(pipeline).delimiter()).isEqualTo(';');
    try (Home home = Home.init(tmp.resolve("home"))) {
      assertThat(CreditExample.run(home, pipeline).chain()).isNotNull();
    }
    // The same file with the default delimiter is one column: refused before anything is stored.
    Files.writeString(pipeline, Files.readString(pipeline).replace("delimiter: \";\"\n", ""));
    try (Home home = Home.init(tmp.resolve("home2"))) {
      assertThatThrownBy(() -> CreditExample.run(home, pipeline))
          .isInstanceOf(BadInputException.class)
          .hasMessage(csv + ": line 1: found 1 column; not a CSV file with delimiter ','");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"delimiter: ab", "delimiter: '\"'", "delimiter: 7.5e3", "delimiter: ''"})
  void aDelimiterThatIsNotOneCharacterIsRefused(String line) throws Exception {
    Path pipeline = edited("data: credit-g.csv\n", "data: credit-g.csv\n" + line + "\n");

    assertThatThrownBy(() -> PipelineDefinition.load(pipeline))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(pipeline + ": ")
        .hasMessageContaining("delimiter");
  }

  @Test
  void theShippedDefinitionUsesOnlyDefinedKeys() throws Exception {
    PipelineDefinition def = PipelineDefinition.load(CreditExample.copyTo(tmp.resolve("c")));

    assertThat(def.train().epochs()).isEqualTo(50);
    assertThat(def.modelName()).isEqualTo("credit-risk");
  }

  @Test
  void aKeyInAMappingWhereNoneBelongsIsLeftToTheValueCheck() throws Exception {
    Path pipeline = edited("name: credit-risk\n", "name: {first: credit}\n");

    assertThatThrownBy(() -> PipelineDefinition.load(pipeline))
        .isInstanceOf(BadInputException.class)
        .hasMessage(pipeline + ": 'name' is missing or not a string");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "under a section's key | epochs: 50 | epochs: {n: 50}",
    "in a list | '  - foreign_worker' | '  - {x: 1}'",
  })
  void aMappingDeeperDownIsBadInputNotACrash(String what, String from, String to)
      throws Exception {
    Path pipeline = edited(from, to);

    assertThatThrownBy(() -> PipelineDefinition.load(pipeline)).as(what)
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(pipeline + ": ");
  }
}
