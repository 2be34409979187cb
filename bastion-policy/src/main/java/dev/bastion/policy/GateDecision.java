package dev.bastion.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The decision of a gate on a set of inputs. It is signed by the gate's identity as an in-toto
 * statement whose subjects are exactly {@link #inputs()}; a consumer accepts its inputs only with a
 * passing decision that names them.
 *
 * @param gate the gate's name
 * @param outcome pass or fail
 * @param rule the CEL rule applied
 * @param policyDigest digest of the policy file the rule came from
 * @param inputs the artifacts decided on, by role
 * @param evidence the values the rule saw
 * @param reason why, in one line
 * @param runId the pipeline run
 * @param time when
 */
public record GateDecision(
    String gate,
    Outcome outcome,
    String rule,
    Digest policyDigest,
    Map<String, Digest> inputs,
    JsonNode evidence,
    String reason,
    String runId,
    Instant time) {
  public static final String PREDICATE_TYPE = "urn:bastion:predicate:gate-decision:v1";

  /** A gate lets its input through or not; nothing in between. */
  public enum Outcome {
    PASS,
    FAIL
  }

  public GateDecision {
    Objects.requireNonNull(gate);
    Objects.requireNonNull(outcome);
    Objects.requireNonNull(rule);
    Objects.requireNonNull(policyDigest);
    inputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    evidence = evidence.deepCopy();
    Objects.requireNonNull(reason);
    Objects.requireNonNull(runId);
    Objects.requireNonNull(time);
  }

  @Override
  public JsonNode evidence() {
    return evidence.deepCopy();
  }

  public boolean passed() {
    return outcome == Outcome.PASS;
  }

  /** The in-toto predicate. */
  public JsonNode toPredicate() {
    ObjectNode p = Json.object();
    p.put("gate", gate);
    p.put("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT));
    p.put("rule", rule);
    p.put("policy", policyDigest.toString());
    ObjectNode in = p.putObject("inputs");
    inputs.forEach((k, v) -> in.put(k, v.toString()));
    p.set("evidence", evidence);
    p.put("reason", reason);
    p.put("run", runId);
    p.put("time", time.toString());
    return p;
  }

  /**
   * Reads a decision back from a verified statement's predicate.
   *
   * @throws VerificationException if the predicate is not a well-formed decision
   */
  public static GateDecision fromPredicate(JsonNode p) throws VerificationException {
    try {
      if (!p.path("inputs").isObject() || !p.has("evidence") || p.get("evidence").isNull()) {
        throw new IllegalArgumentException("'inputs' must be an object and 'evidence' present");
      }
      Map<String, Digest> inputs = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : p.path("inputs").properties()) {
        inputs.put(e.getKey(), Digest.parse(e.getValue().asText()));
      }
      String outcome = p.path("outcome").asText();
      return new GateDecision(
          text(p, "gate"),
          switch (outcome) {
            case "pass" -> Outcome.PASS;
            case "fail" -> Outcome.FAIL;
            default -> throw new IllegalArgumentException("outcome '" + outcome + "'");
          },
          text(p, "rule"),
          Digest.parse(text(p, "policy")),
          inputs,
          p.path("evidence"),
          text(p, "reason"),
          text(p, "run"),
          Instant.parse(text(p, "time")));
    } catch (RuntimeException e) {
      throw new VerificationException("malformed gate decision: " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode p, String field) {
    JsonNode v = p.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' missing");
    }
    return v.asText();
  }
}
