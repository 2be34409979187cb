package dev.bastion.policy;

import static dev.bastion.policy.PolicyFixtures.RUN;
import static dev.bastion.policy.PolicyFixtures.inputs;
import static dev.bastion.policy.PolicyFixtures.metrics;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class GateDecisionTest {
  static final Instant TIME = Instant.parse("2026-11-25T10:15:30.123456789Z");

  static GateDecision decision(GateDecision.Outcome outcome) {
    return new GateDecision(
        "register",
        outcome,
        "metrics.auc >= 0.70",
        GatePolicies.defaults().digest(),
        inputs(),
        metrics(0.81, 0.7),
        outcome == GateDecision.Outcome.PASS ? "rule holds" : "rule does not hold",
        RUN,
        TIME);
  }

  @ParameterizedTest
  @EnumSource(GateDecision.Outcome.class)
  void thePredicateRoundTrips(GateDecision.Outcome outcome) throws VerificationException {
    GateDecision d = decision(outcome);

    assertThat(GateDecision.fromPredicate(d.toPredicate())).isEqualTo(d);
  }

  @ParameterizedTest
  @EnumSource(GateDecision.Outcome.class)
  void thePredicateRoundTripsThroughCanonicalBytes(GateDecision.Outcome outcome)
      throws VerificationException, BadInputException {
    GateDecision d = decision(outcome);
    byte[] bytes = Json.canonical(d.toPredicate());

    GateDecision back = GateDecision.fromPredicate(Json.parse(bytes, "statement"));

    assertThat(Json.canonical(back.toPredicate())).isEqualTo(bytes);
    assertThat(back.outcome()).isEqualTo(outcome);
    assertThat(back.inputs()).isEqualTo(d.inputs());
    assertThat(back.time()).isEqualTo(TIME);
  }

  @Test
  void anEngineDecisionRoundTrips() throws VerificationException {
    GateDecision d =
        new GateEngine().decide(GatePolicies.defaults(), "register", inputs(), metrics(0.9, 0.9), RUN);

    assertThat(GateDecision.fromPredicate(d.toPredicate())).isEqualTo(d);
  }

  @Test
  void thePredicateSpellsEachField() {
    JsonNode p = decision(GateDecision.Outcome.PASS).toPredicate();

    assertThat(p.get("gate").asText()).isEqualTo("register");
    assertThat(p.get("outcome").asText()).isEqualTo("pass");
    assertThat(p.get("rule").asText()).isEqualTo("metrics.auc >= 0.70");
    assertThat(p.get("policy").asText()).isEqualTo(GatePolicies.defaults().digest().toString()).startsWith("sha256:");
    assertThat(p.get("inputs").get("snapshot").asText()).isEqualTo(inputs().get("snapshot").toString());
    assertThat(p.get("evidence")).isEqualTo(metrics(0.81, 0.7));
    assertThat(p.get("reason").asText()).isEqualTo("rule holds");
    assertThat(p.get("run").asText()).isEqualTo(RUN);
    assertThat(p.get("time").asText()).isEqualTo("2026-11-25T10:15:30.123456789Z");
    assertThat(decision(GateDecision.Outcome.FAIL).toPredicate().get("outcome").asText()).isEqualTo("fail");
    assertThat(GateDecision.PREDICATE_TYPE).isEqualTo("urn:bastion:predicate:gate-decision:v1");
  }

  @Test
  void theDecisionIsImmutable() {
    GateDecision d = decision(GateDecision.Outcome.PASS);

    assertThatThrownBy(() -> d.inputs().clear()).isInstanceOf(UnsupportedOperationException.class);
    ((ObjectNode) d.evidence()).removeAll();
    assertThat(d.evidence()).isEqualTo(metrics(0.81, 0.7));
  }

  static Stream<Arguments> malformed() {
    String other = Digest.of(new byte[] {1}).hex();
    return Stream.of(
        Arguments.of("gate missing", (Consumer<ObjectNode>) p -> p.remove("gate")),
        Arguments.of("gate a number", (Consumer<ObjectNode>) p -> p.put("gate", 1)),
        Arguments.of("outcome missing", (Consumer<ObjectNode>) p -> p.remove("outcome")),
        Arguments.of("outcome in capitals", (Consumer<ObjectNode>) p -> p.put("outcome", "PASS")),
        Arguments.of("outcome unknown", (Consumer<ObjectNode>) p -> p.put("outcome", "maybe")),
        Arguments.of("outcome a boolean", (Consumer<ObjectNode>) p -> p.put("outcome", true)),
        Arguments.of("rule missing", (Consumer<ObjectNode>) p -> p.remove("rule")),
        Arguments.of("policy missing", (Consumer<ObjectNode>) p -> p.remove("policy")),
        Arguments.of("policy not a digest", (Consumer<ObjectNode>) p -> p.put("policy", "sha256:xyz")),
        Arguments.of("policy upper-case hex", (Consumer<ObjectNode>) p -> p.put("policy", "sha256:" + other.toUpperCase())),
        Arguments.of("policy another algorithm", (Consumer<ObjectNode>) p -> p.put("policy", "sha512:" + other)),
        Arguments.of("policy truncated", (Consumer<ObjectNode>) p -> p.put("policy", "sha256:" + other.substring(1))),
        Arguments.of("input not a digest", (Consumer<ObjectNode>) p -> ((ObjectNode) p.get("inputs")).put("snapshot", "latest")),
        Arguments.of("input a number", (Consumer<ObjectNode>) p -> ((ObjectNode) p.get("inputs")).put("snapshot", 7)),
        Arguments.of("input an object", (Consumer<ObjectNode>) p -> ((ObjectNode) p.get("inputs")).putObject("snapshot")),
        Arguments.of("reason missing", (Consumer<ObjectNode>) p -> p.remove("reason")),
        Arguments.of("run missing", (Consumer<ObjectNode>) p -> p.remove("run")),
        Arguments.of("run null", (Consumer<ObjectNode>) p -> p.putNull("run")),
        Arguments.of("time missing", (Consumer<ObjectNode>) p -> p.remove("time")),
        Arguments.of("time not ISO-8601", (Consumer<ObjectNode>) p -> p.put("time", "25/11/2026")),
        Arguments.of("time without zone", (Consumer<ObjectNode>) p -> p.put("time", "2026-11-25T10:15:30")),
        Arguments.of("time a number", (Consumer<ObjectNode>) p -> p.put("time", 1764065730L)),
        Arguments.of("everything removed", (Consumer<ObjectNode>) ObjectNode::removeAll));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void aMalformedPredicateDoesNotVerify(String name, Consumer<ObjectNode> breakIt) {
    ObjectNode p = (ObjectNode) decision(GateDecision.Outcome.PASS).toPredicate();
    breakIt.accept(p);

    assertThatThrownBy(() -> GateDecision.fromPredicate(p))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith("malformed gate decision: ")
        .hasCauseInstanceOf(RuntimeException.class);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("notObjects")
  void aPredicateThatIsNotAnObjectDoesNotVerify(JsonNode p) {
    assertThatThrownBy(() -> GateDecision.fromPredicate(p)).isInstanceOf(VerificationException.class);
  }

  static Stream<JsonNode> notObjects() {
    return Stream.of(
        Json.array(),
        Json.toTree("pass"),
        Json.toTree(1),
        com.fasterxml.jackson.databind.node.NullNode.getInstance(),
        com.fasterxml.jackson.databind.node.MissingNode.getInstance());
  }

  /**
   * A decision's evidence and inputs are what it attests to; today a predicate without evidence, or
   * with inputs that are not an object, reads back as a decision with no evidence or no inputs.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("silentlyAccepted")
  void missingEvidenceOrInputsDoNotVerify(String name, Consumer<ObjectNode> breakIt) {
    ObjectNode p = (ObjectNode) decision(GateDecision.Outcome.PASS).toPredicate();
    breakIt.accept(p);

    assertThatThrownBy(() -> GateDecision.fromPredicate(p)).isInstanceOf(VerificationException.class);
  }

  static Stream<Arguments> silentlyAccepted() {
    return Stream.of(
        Arguments.of("evidence missing", (Consumer<ObjectNode>) p -> p.remove("evidence")),
        Arguments.of("inputs missing", (Consumer<ObjectNode>) p -> p.remove("inputs")),
        Arguments.of("inputs an array", (Consumer<ObjectNode>) p -> p.set("inputs", Json.array().add("sha256:00"))),
        Arguments.of("inputs a string", (Consumer<ObjectNode>) p -> p.put("inputs", "everything")));
  }
}
