package dev.bastion.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;

/**
 * The evidence that a model came from validated data through passing gates: every artifact and
 * every signed attestation between the data snapshot and the model, by digest.
 *
 * @param snapshot the ingested, tokenised data snapshot
 * @param model the model
 * @param report the evaluation report
 * @param ingest provenance of the snapshot, signed by {@code ingest}
 * @param gateTrain the {@code train} gate's decision on the snapshot, signed by {@code gate}
 * @param train provenance of the model, signed by {@code trainer}
 * @param gateEvaluate the {@code evaluate} gate's decision on the model
 * @param evaluate provenance of the report, signed by {@code trainer}
 * @param gateRegister the {@code register} gate's decision on the model and report
 */
public record ModelChain(
    Digest snapshot,
    Digest model,
    Digest report,
    Digest ingest,
    Digest gateTrain,
    Digest train,
    Digest gateEvaluate,
    Digest evaluate,
    Digest gateRegister) implements Chain {

  @Override
  public Digest data() {
    return snapshot;
  }

  @Override
  public JsonNode toJson() {
    ObjectNode o = Json.object();
    o.put("snapshot", snapshot.toString());
    o.put("model", model.toString());
    o.put("report", report.toString());
    o.put("ingest", ingest.toString());
    o.put("gate_train", gateTrain.toString());
    o.put("train", train.toString());
    o.put("gate_evaluate", gateEvaluate.toString());
    o.put("evaluate", evaluate.toString());
    o.put("gate_register", gateRegister.toString());
    return o;
  }

  /**
   * Reads the JSON form.
   *
   * @throws VerificationException if a link is missing or not a digest
   */
  public static ModelChain fromJson(JsonNode o) throws VerificationException {
    try {
      return new ModelChain(
          Chain.link(o, "snapshot"),
          Chain.link(o, "model"),
          Chain.link(o, "report"),
          Chain.link(o, "ingest"),
          Chain.link(o, "gate_train"),
          Chain.link(o, "train"),
          Chain.link(o, "gate_evaluate"),
          Chain.link(o, "evaluate"),
          Chain.link(o, "gate_register"));
    } catch (IllegalArgumentException e) {
      throw new VerificationException("malformed model chain: " + e.getMessage(), e);
    }
  }
}
