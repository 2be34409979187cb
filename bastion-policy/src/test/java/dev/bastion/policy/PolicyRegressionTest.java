package dev.bastion.policy;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Crashes the policy fuzzers found, each kept under its name (resources/.../crashes/). */
class PolicyRegressionTest {

  /**
   * Jazzer crash 6c3fa7bf: evidence holding "1e744073709552116". Json.parse (bastion-core) reads
   * floats as BigDecimal and Jackson refuses the exponent with an unchecked NumberFormatException,
   * which escapes instead of a BadInputException.
   */
  @Test
  void crash6c3fa7bfHugeExponentEvidenceIsBadInput() throws IOException {
    byte[] crash = resource("crashes/crash-6c3fa7bf-evidence-huge-exponent.json");

    assertThatThrownBy(() -> Json.parse(crash, "evidence.json")).isInstanceOf(BadInputException.class);
  }

  /** The same through the policy file parser. */
  @Test
  void aPolicyFileWithAHugeExponentIsBadInput() {
    byte[] policy = "{\"gates\": [], \"version\": 1e9999999999}".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> GatePolicies.parse(policy, "gates.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("gates.json: ");
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in = PolicyRegressionTest.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("no test resource " + name);
      }
      return in.readAllBytes();
    }
  }
}
