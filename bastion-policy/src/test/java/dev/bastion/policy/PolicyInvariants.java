package dev.bastion.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;

/** What the policy parsers and the engine promise for any input; shared by fuzz and seeded tests. */
final class PolicyInvariants {
  static final String WHERE = "fuzz.json";
  private static final GateEngine ENGINE = new GateEngine();

  private PolicyInvariants() {}

  /** Policies parse into named gates or are refused naming the file; their rules compile or are refused naming the gate. */
  static void assertPoliciesParseOrAreRefused(byte[] bytes) {
    GatePolicies p;
    try {
      p = GatePolicies.parse(bytes, WHERE);
    } catch (BadInputException e) {
      assertThat(e.getMessage()).startsWith(WHERE + ": ");
      return;
    }
    assertThat(p.digest()).isEqualTo(Digest.of(bytes));
    p.gates().forEach((name, g) -> assertThat(g.name()).isEqualTo(name));
    try {
      ENGINE.check(p);
    } catch (BadInputException e) {
      assertThat(e.getMessage()).startsWith("gate '");
    }
    for (String gate : p.gates().keySet()) {
      assertDecides(p, gate, Json.object());
    }
  }

  /** Any evidence gets a decision, never an exception; a pass means the rule held. */
  static void assertDecides(GatePolicies p, String gate, JsonNode evidence) {
    GateDecision d = ENGINE.decide(p, gate, PolicyFixtures.inputs(), evidence, PolicyFixtures.RUN);
    assertThat(d.gate()).isEqualTo(gate);
    assertThat(d.reason()).isNotBlank();
    if (d.passed()) {
      assertThat(d.reason()).isEqualTo("rule holds");
    }
  }

  /** Evidence from untrusted bytes, under the default gates. */
  static void assertEvidenceIsDecided(byte[] bytes) {
    JsonNode evidence;
    try {
      evidence = Json.parse(bytes, WHERE);
    } catch (BadInputException e) {
      return;
    }
    GatePolicies defaults = GatePolicies.defaults();
    for (String gate : new String[] {"train", "evaluate", "register", "absent"}) {
      assertDecides(defaults, gate, evidence);
    }
  }

  /** A predicate from untrusted bytes is a decision that round-trips, or a VerificationException. */
  static void assertPredicateVerifiesOrIsRefused(byte[] bytes) {
    JsonNode p;
    try {
      p = Json.parse(bytes, WHERE);
    } catch (BadInputException e) {
      return;
    }
    GateDecision d;
    try {
      d = GateDecision.fromPredicate(p);
    } catch (VerificationException e) {
      assertThat(e.getMessage()).startsWith("malformed gate decision: ");
      return;
    }
    try {
      assertThat(GateDecision.fromPredicate(d.toPredicate())).isEqualTo(d);
    } catch (VerificationException e) {
      throw new AssertionError("a decision's own predicate does not verify", e);
    }
  }
}
