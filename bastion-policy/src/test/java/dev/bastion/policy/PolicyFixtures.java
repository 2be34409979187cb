package dev.bastion.policy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Evidence and inputs shared by the policy tests. */
final class PolicyFixtures {
  static final String RUN = "run-0001";

  private PolicyFixtures() {}

  static Map<String, Digest> inputs() {
    Map<String, Digest> m = new LinkedHashMap<>();
    m.put("snapshot", Digest.of("snapshot".getBytes(StandardCharsets.UTF_8)));
    m.put("schema", Digest.of("schema".getBytes(StandardCharsets.UTF_8)));
    return m;
  }

  /** Evidence for the train gate: {@code data.rows}, {@code data.invalid_rows}, tokenised fields. */
  static ObjectNode data(long rows, long invalidRows, String... tokenised) {
    ObjectNode e = Json.object();
    ObjectNode d = e.putObject("data");
    d.put("rows", rows);
    d.put("invalid_rows", invalidRows);
    d.put("screened_rows", rows);
    d.put("quarantined_rows", 0);
    d.put("quarantined_fraction", 0.0);
    var fields = d.putArray("tokenised_fields");
    for (String f : tokenised) {
      fields.add(f);
    }
    return e;
  }

  /** Evidence for the evaluate gate. */
  static ObjectNode train(int epochs, double learningRate) {
    ObjectNode e = Json.object();
    e.putObject("train").put("epochs", epochs).put("learning_rate", learningRate);
    return e;
  }

  /** Evidence for the register gate. */
  static ObjectNode metrics(double auc, double accuracy) {
    return metrics(auc, accuracy, 300);
  }

  static ObjectNode metrics(double auc, double accuracy, int rows) {
    ObjectNode e = Json.object();
    e.putObject("metrics").put("auc", auc).put("accuracy", accuracy).put("holdout_rows", rows);
    return e;
  }

  /** Policies with one gate named {@code g} and the given rule. */
  static GatePolicies oneGate(String rule) {
    ObjectNode root = Json.object();
    root.putArray("gates").addObject().put("name", "g").put("rule", rule);
    try {
      return GatePolicies.parse(Json.canonical(root), "gates.json");
    } catch (BadInputException e) {
      throw new IllegalStateException(e);
    }
  }

  static com.fasterxml.jackson.databind.JsonNode parseAny(String json) {
    try {
      return Json.parse(json.getBytes(StandardCharsets.UTF_8), "evidence");
    } catch (BadInputException e) {
      throw new IllegalStateException(e);
    }
  }

  static ObjectNode parse(String json) {
    try {
      return (ObjectNode) Json.parse(json.getBytes(StandardCharsets.UTF_8), "evidence");
    } catch (BadInputException e) {
      throw new IllegalStateException(e);
    }
  }
}
