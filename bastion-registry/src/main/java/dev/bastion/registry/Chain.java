package dev.bastion.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;

/**
 * The signed evidence behind a registered model, by digest: how it was trained ({@link
 * ModelChain}) or how it was imported ({@link ImportChain}). A registration signs one; the gateway
 * serves a model only after {@link ChainVerifier} verified every link of it.
 */
public sealed interface Chain permits ModelChain, ImportChain {
  /** The model artifact the chain ends in. */
  Digest model();

  /**
   * The data the chain holds: a trained model's snapshot, an imported model's reference data
   * (left out of an evidence export without data).
   */
  Digest data();

  /** The evaluation report the register gate decided on. */
  Digest report();

  /** Provenance of the report: the model evaluated on {@link #data()}, signed by trainer. */
  Digest evaluate();

  /** The register gate's decision on the model and the report. */
  Digest gateRegister();

  /** The JSON form, as a registration signs it. */
  JsonNode toJson();

  /**
   * Reads either form: an import chain says {@code "kind": "import"}; a trained model's chain,
   * the older form, has no kind.
   *
   * @throws VerificationException if a link is missing, not a digest, or the kind is unknown
   */
  static Chain fromJson(JsonNode o) throws VerificationException {
    JsonNode kind = o.get("kind");
    if (kind == null) {
      return ModelChain.fromJson(o);
    }
    if (kind.isTextual() && kind.asText().equals(ImportChain.KIND)) {
      return ImportChain.fromJson(o);
    }
    throw new VerificationException("malformed model chain: unknown kind " + kind);
  }

  /** Reads the digest at {@code field}. */
  static Digest link(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("link '" + field + "' is missing");
    }
    return Digest.parse(v.asText());
  }
}
