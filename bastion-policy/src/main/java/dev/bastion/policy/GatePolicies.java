package dev.bastion.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.InputFiles;
import dev.bastion.core.Json;
import dev.bastion.core.Text;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The gate policies of a deployment, read from one JSON file ({@code policies/gates.json}); its
 * digest goes into every decision, so a decision names the exact policy it applied.
 *
 * @param gates gate name to policy
 * @param digest SHA-256 of the policy file's bytes
 */
public record GatePolicies(Map<String, GatePolicy> gates, Digest digest) {
  /** The policies {@code bastion init} writes. */
  public static final String DEFAULTS =
      """
      {
        "gates": [
          {
            "name": "train",
            "description": "the snapshot passed schema validation and is large enough to train on; rows the outlier, duplicate and trigger detectors flag are quarantined, and at most 5% may be",
            "rule": "data.rows >= 500 && data.invalid_rows == 0 && data.tokenised_fields.size() >= 1 && data.quarantined_fraction <= 0.05",
            "suspect_rows": "quarantine",
            "suspect_detectors": ["outlier", "duplicate", "trigger"]
          },
          {
            "name": "evaluate",
            "description": "hyper-parameters stay inside the approved bounds",
            "rule": "train.epochs >= 1 && train.epochs <= 100 && train.learning_rate > 0.0 && train.learning_rate <= 1.0"
          },
          {
            "name": "register",
            "description": "the model is good enough, measured on at least 100 rows it was not trained on (the holdout split, or an import's reference data), to be registered",
            "rule": "metrics.auc >= 0.70 && metrics.accuracy >= 0.65 && metrics.holdout_rows >= 100"
          }
        ]
      }
      """;

  public GatePolicies {
    gates = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(gates));
  }

  /** The policy of the named gate, if there is one. */
  public Optional<GatePolicy> gate(String name) {
    return Optional.ofNullable(gates.get(name));
  }

  /**
   * Reads a policy file.
   *
   * @throws BadInputException if it is missing or malformed
   */
  public static GatePolicies load(Path file) throws BadInputException, IOException {
    return parse(
        InputFiles.read(file, "policy file", InputFiles.MAX_DOCUMENT_BYTES), file.toString());
  }

  /** The fields of a gate: a policy with any other is refused, not ignored. */
  private static final List<String> GATE_FIELDS =
      List.of("name", "description", "rule", "suspect_rows", "suspect_detectors");

  /** Parses policy JSON. */
  public static GatePolicies parse(byte[] bytes, String where) throws BadInputException {
    JsonNode root = Json.parse(bytes, where);
    for (var f : root.properties()) {
      if (!f.getKey().equals("gates")) {
        throw new BadInputException(where + ": unknown field '" + Text.clip(f.getKey()) + "'");
      }
    }
    JsonNode list = root.get("gates");
    if (list == null || !list.isArray()) {
      throw new BadInputException(where + ": 'gates' must be an array");
    }
    Map<String, GatePolicy> gates = new LinkedHashMap<>();
    int i = 0;
    for (JsonNode g : list) {
      String at = where + ": gates[" + i++ + "]";
      for (var f : g.properties()) {
        if (!GATE_FIELDS.contains(f.getKey())) {
          throw new BadInputException(at + ": unknown field '" + Text.clip(f.getKey()) + "'");
        }
      }
      String name = Json.requireText(g, "name", at);
      String rule = Json.requireText(g, "rule", at);
      String description = g.path("description").asText("");
      GatePolicy.SuspectRows suspects = GatePolicy.SuspectRows.KEEP;
      JsonNode sr = g.get("suspect_rows");
      if (sr != null) {
        suspects = null;
        for (GatePolicy.SuspectRows x : GatePolicy.SuspectRows.values()) {
          if (sr.isTextual() && x.spelling().equals(sr.asText())) {
            suspects = x;
          }
        }
        if (suspects == null) {
          throw new BadInputException(at + ": suspect_rows " + sr + " is not quarantine or keep");
        }
      }
      List<String> detectors = new ArrayList<>();
      JsonNode sd = g.get("suspect_detectors");
      if (sd != null) {
        if (!sd.isArray()) {
          throw new BadInputException(at + ": suspect_detectors must be a list of detector names");
        }
        for (JsonNode d : sd) {
          if (!d.isTextual() || d.asText().isBlank()) {
            throw new BadInputException(at + ": suspect_detectors must be a list of detector"
                + " names");
          }
          detectors.add(d.asText());
        }
      }
      if (gates.put(name, new GatePolicy(name, rule, description, suspects, detectors)) != null) {
        throw new BadInputException(at + ": gate '" + name + "' is defined twice");
      }
    }
    return new GatePolicies(gates, Digest.of(bytes));
  }

  /** The default policies, parsed. */
  public static GatePolicies defaults() {
    try {
      return parse(DEFAULTS.getBytes(StandardCharsets.UTF_8), "default policies");
    } catch (BadInputException e) {
      throw new IllegalStateException("the default policies parse", e);
    }
  }
}
