package dev.bastion.data;

import static dev.bastion.data.CsvFixtures.utf8;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** Crashes the Schema fuzzer found, each kept under its name (resources/.../crashes/). */
class SchemaRegressionTest {

  /**
   * Jazzer crash c081ab82: a number with an exponent beyond an int ("0e3018446744") makes
   * Jackson throw an unchecked NumberFormatException from Json.parse (bastion-core), because the
   * mapper reads floats as BigDecimal; it escapes Schema.parse instead of a BadInputException.
   */
  @Test
  void crashC081ab82HugeExponentIsBadInput() throws IOException {
    byte[] crash = resource("crashes/crash-c081ab82-schema-huge-exponent.json");

    assertThatThrownBy(() -> Schema.parse(crash, "schema.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("schema.json: ");
  }

  @Test
  void aMinimalHugeExponentIsBadInput() {
    assertThatThrownBy(() -> Schema.parse(utf8("{\"x\": 1e9999999999}"), "schema.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("schema.json: ");
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in = SchemaRegressionTest.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("no test resource " + name);
      }
      return in.readAllBytes();
    }
  }
}
