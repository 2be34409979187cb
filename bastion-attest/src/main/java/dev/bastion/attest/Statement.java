package dev.bastion.attest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Identity;
import dev.bastion.crypto.Signer;
import dev.bastion.crypto.Trust;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An in-toto Statement v1: what (subjects, by digest) and a typed predicate about them.
 *
 * @param subjects name to SHA-256 digest, in order
 * @param predicateType the predicate's type URI
 * @param predicate the predicate
 */
public record Statement(Map<String, Digest> subjects, String predicateType, JsonNode predicate) {
  public static final String TYPE = "https://in-toto.io/Statement/v1";

  public Statement {
    if (subjects.isEmpty()) {
      throw new IllegalArgumentException("a statement has at least one subject");
    }
    subjects = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(subjects));
    Objects.requireNonNull(predicateType);
    predicate = predicate.deepCopy();
  }

  @Override
  public JsonNode predicate() {
    return predicate.deepCopy();
  }

  /** A statement about one subject. */
  public static Statement of(String name, Digest digest, String predicateType, JsonNode predicate) {
    return new Statement(Map.of(name, digest), predicateType, predicate);
  }

  /** The canonical JSON of the statement. */
  public byte[] toJson() {
    ObjectNode o = Json.object();
    o.put("_type", TYPE);
    ArrayNode subj = o.putArray("subject");
    subjects.forEach(
        (name, d) -> {
          ObjectNode s = subj.addObject();
          s.put("name", name);
          s.putObject("digest").put(Digest.ALGORITHM, d.hex());
        });
    o.put("predicateType", predicateType);
    o.set("predicate", predicate);
    return Json.canonical(o);
  }

  /** Signs the statement in a DSSE envelope. */
  public Envelope sign(Signer signer) {
    return Envelope.sign(Envelope.IN_TOTO, toJson(), signer);
  }

  /**
   * Parses an in-toto Statement v1.
   *
   * @throws BadInputException if it is not one
   */
  public static Statement parse(byte[] json, String where) throws BadInputException {
    JsonNode o = Json.parse(json, where);
    if (!TYPE.equals(o.path("_type").asText())) {
      throw new BadInputException(where + ": _type is not " + TYPE);
    }
    JsonNode subj = o.get("subject");
    if (subj == null || !subj.isArray() || subj.isEmpty()) {
      throw new BadInputException(where + ": no subject");
    }
    Map<String, Digest> subjects = new LinkedHashMap<>();
    for (JsonNode s : subj) {
      String name = Json.requireText(s, "name", where + ": subject");
      String hex = s.path("digest").path(Digest.ALGORITHM).asText("");
      try {
        subjects.put(name, Digest.parse(hex));
      } catch (IllegalArgumentException e) {
        throw new BadInputException(where + ": subject '" + name + "' has no sha256 digest", e);
      }
    }
    String type = Json.requireText(o, "predicateType", where);
    JsonNode predicate = o.get("predicate");
    if (predicate == null || !predicate.isObject()) {
      throw new BadInputException(where + ": predicate must be an object");
    }
    return new Statement(subjects, type, predicate);
  }

  /**
   * Verifies {@code envelope} (signed by {@code signer}, carrying an in-toto statement of type
   * {@code predicateType}) and returns the statement, parsed from the exact signed bytes.
   *
   * @throws VerificationException if the signature, the payload type or the predicate type is wrong
   */
  public static Statement verify(
      Envelope envelope, Trust trust, String signer, String predicateType, String what)
      throws VerificationException {
    if (!Envelope.IN_TOTO.equals(envelope.payloadType())) {
      throw new VerificationException(what + ": payload type is not " + Envelope.IN_TOTO);
    }
    Identity id;
    try {
      id = envelope.verify(trust, signer);
    } catch (VerificationException e) {
      throw new VerificationException(what + ": " + e.getMessage(), e);
    }
    Statement st;
    try {
      st = parse(envelope.payload(), what);
    } catch (BadInputException e) {
      throw new VerificationException(e.getMessage(), e);
    }
    if (!st.predicateType().equals(predicateType)) {
      throw new VerificationException(
          what + ": predicate type is " + st.predicateType() + ", expected " + predicateType
              + " (signed by " + id.name() + ")");
    }
    return st;
  }

  /** The single subject's digest. */
  public Digest onlySubject() throws VerificationException {
    if (subjects.size() != 1) {
      throw new VerificationException("expected one subject, found " + subjects.size());
    }
    return subjects.values().iterator().next();
  }

  /** Subjects as a list of digests. */
  public List<Digest> subjectDigests() {
    return new ArrayList<>(subjects.values());
  }
}
