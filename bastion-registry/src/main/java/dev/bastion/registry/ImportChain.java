package dev.bastion.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;

/**
 * The evidence that an imported model (an ONNX file trained elsewhere) was checked before it was
 * registered: the file as given, the reference data it was evaluated and profiled on, the signed
 * import and evaluation, and the register gate's passing decision.
 *
 * @param source the imported file, as read (a recorded input: Bastion keeps the model artifact
 *     that wraps it, not the file)
 * @param reference the reference data (features and label), stored encrypted
 * @param model the model artifact: the file's bytes with the feature order, class labels and the
 *     profiles the gateway's guard and monitor need
 * @param report the evaluation report on the reference data
 * @param importation provenance of the model artifact (stage {@code import}), signed by {@code
 *     trainer}, naming the file and the reference data as inputs
 * @param evaluate provenance of the report, signed by {@code trainer}
 * @param gateRegister the {@code register} gate's decision on the model and report
 */
public record ImportChain(
    Digest source,
    Digest reference,
    Digest model,
    Digest report,
    Digest importation,
    Digest evaluate,
    Digest gateRegister) implements Chain {

  /** The value of the JSON form's {@code kind}. */
  public static final String KIND = "import";

  @Override
  public Digest data() {
    return reference;
  }

  @Override
  public JsonNode toJson() {
    ObjectNode o = Json.object();
    o.put("kind", KIND);
    o.put("source", source.toString());
    o.put("reference", reference.toString());
    o.put("model", model.toString());
    o.put("report", report.toString());
    o.put("import", importation.toString());
    o.put("evaluate", evaluate.toString());
    o.put("gate_register", gateRegister.toString());
    return o;
  }

  /**
   * Reads the JSON form.
   *
   * @throws VerificationException if a link is missing or not a digest
   */
  public static ImportChain fromJson(JsonNode o) throws VerificationException {
    try {
      return new ImportChain(
          Chain.link(o, "source"),
          Chain.link(o, "reference"),
          Chain.link(o, "model"),
          Chain.link(o, "report"),
          Chain.link(o, "import"),
          Chain.link(o, "evaluate"),
          Chain.link(o, "gate_register"));
    } catch (IllegalArgumentException e) {
      throw new VerificationException("malformed import chain: " + e.getMessage(), e);
    }
  }
}
