package dev.bastion.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GatePoliciesTest {
  static GatePolicies parse(String json) throws BadInputException {
    return GatePolicies.parse(json.getBytes(StandardCharsets.UTF_8), "gates.json");
  }

  @Test
  void theDefaultsParseIntoThreeGates() {
    GatePolicies p = GatePolicies.defaults();

    assertThat(p.gates()).containsOnlyKeys("train", "evaluate", "register");
    assertThat(p.gates().keySet()).containsExactly("train", "evaluate", "register");
    assertThat(p.gate("register").orElseThrow().rule())
        .isEqualTo("metrics.auc >= 0.70 && metrics.accuracy >= 0.65"
            + " && metrics.holdout_rows >= 100");
    assertThat(p.gate("train").orElseThrow().rule())
        .isEqualTo("data.rows >= 500 && data.invalid_rows == 0 && data.tokenised_fields.size() >= 1"
            + " && data.quarantined_fraction <= 0.05");
    assertThat(p.gate("train").orElseThrow().suspectRows())
        .isEqualTo(GatePolicy.SuspectRows.QUARANTINE);
    assertThat(p.gate("train").orElseThrow().suspectDetectors())
        .containsExactly("outlier", "duplicate", "trigger");
    assertThat(p.gate("register").orElseThrow().suspectRows())
        .isEqualTo(GatePolicy.SuspectRows.KEEP);
    assertThat(p.gate("register").orElseThrow().suspectDetectors()).isEmpty();
    assertThat(p.gate("evaluate").orElseThrow().description()).isNotBlank();
    assertThat(p.gate("deploy")).isEmpty();
    assertThat(p.digest()).isEqualTo(Digest.of(GatePolicies.DEFAULTS.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void theDefaultsCompile() throws BadInputException {
    new GateEngine().check(GatePolicies.defaults());
  }

  @Test
  void aDescriptionIsOptionalAndGateOrderIsKept() throws BadInputException {
    GatePolicies p =
        parse("{\"gates\": [{\"name\": \"b\", \"rule\": \"true\"}, {\"name\": \"a\", \"rule\": \"false\"}]}");

    assertThat(p.gates().keySet()).containsExactly("b", "a");
    assertThat(p.gate("b").orElseThrow()).isEqualTo(new GatePolicy("b", "true", ""));
  }

  @Test
  void anEmptyListIsNoGates() throws BadInputException {
    assertThat(parse("{\"gates\": []}").gates()).isEmpty();
  }

  @Test
  void theGatesMapIsACopy() throws BadInputException {
    GatePolicies p = parse("{\"gates\": [{\"name\": \"a\", \"rule\": \"true\"}]}");

    assertThatThrownBy(() -> p.gates().clear()).isInstanceOf(UnsupportedOperationException.class);
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("not JSON", "{gates: []}", "gates.json: not valid JSON"),
        Arguments.of("empty", "", "gates.json: empty document"),
        Arguments.of("trailing garbage", "{\"gates\": []} x", "gates.json: not valid JSON"),
        Arguments.of("duplicate keys", "{\"gates\": [], \"gates\": []}", "gates.json: not valid JSON"),
        Arguments.of("no gates", "{}", "gates.json: 'gates' must be an array"),
        Arguments.of("gates an object", "{\"gates\": {\"name\": \"a\"}}", "gates.json: 'gates' must be an array"),
        Arguments.of("top level array", "[]", "gates.json: 'gates' must be an array"),
        Arguments.of("gate without name", "{\"gates\": [{\"rule\": \"true\"}]}",
            "gates.json: gates[0]: field 'name' must be a string"),
        Arguments.of("gate without rule", "{\"gates\": [{\"name\": \"a\", \"rule\": \"true\"}, {\"name\": \"b\"}]}",
            "gates.json: gates[1]: field 'rule' must be a string"),
        Arguments.of("rule not a string", "{\"gates\": [{\"name\": \"a\", \"rule\": true}]}",
            "gates.json: gates[0]: field 'rule' must be a string"),
        Arguments.of("gate not an object", "{\"gates\": [\"a\"]}", "gates.json: gates[0]: field 'name' must be a string"),
        Arguments.of("gate defined twice",
            "{\"gates\": [{\"name\": \"a\", \"rule\": \"true\"}, {\"name\": \"a\", \"rule\": \"false\"}]}",
            "gates.json: gates[1]: gate 'a' is defined twice"),
        Arguments.of("unknown suspect action",
            "{\"gates\": [{\"name\": \"a\", \"rule\": \"true\", \"suspect_rows\": \"drop\"}]}",
            "gates.json: gates[0]: suspect_rows \"drop\" is not quarantine or keep"),
        Arguments.of("suspect detectors not a list",
            "{\"gates\": [{\"name\": \"a\", \"rule\": \"true\", \"suspect_detectors\": \"outlier\"}]}",
            "gates.json: gates[0]: suspect_detectors must be a list of detector names"),
        Arguments.of("misspelt gate field (ignored, the detectors would be all of them)",
            "{\"gates\": [{\"name\": \"a\", \"rule\": \"true\","
                + " \"suspect_detector\": [\"outlier\"]}]}",
            "gates.json: gates[0]: unknown field 'suspect_detector'"),
        Arguments.of("unknown gate field",
            "{\"gates\": [{\"name\": \"a\", \"rule\": \"true\", \"extra\": 1}]}",
            "gates.json: gates[0]: unknown field 'extra'"),
        Arguments.of("unknown top-level field", "{\"gates\": [], \"gate\": []}",
            "gates.json: unknown field 'gate'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void refusesMalformedPolicies(String name, String json, String message) {
    assertThatThrownBy(() -> parse(json)).isInstanceOf(BadInputException.class).hasMessageStartingWith(message);
  }

  @Test
  void loadReadsAFileAndDigestsItsBytes(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("gates.json"), GatePolicies.DEFAULTS);

    GatePolicies p = GatePolicies.load(f);

    assertThat(p).isEqualTo(GatePolicies.defaults());
  }

  @Test
  void loadNamesAMissingFile(@TempDir Path dir) {
    Path f = dir.resolve("none.json");

    assertThatThrownBy(() -> GatePolicies.load(f))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(f + ": no such");
  }

  @Test
  void loadRefusesADirectoryAndAHugeFile(@TempDir Path dir) throws IOException {
    Path big = Files.write(dir.resolve("big.json"), new byte[(1 << 20) + 1]);

    assertThatThrownBy(() -> GatePolicies.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(dir + ": ");
    assertThatThrownBy(() -> GatePolicies.load(big))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(big + ": " + ((1 << 20) + 1) + " bytes is more than the limit");
  }
}
