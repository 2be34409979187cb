package dev.bastion.attest.modelsign;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the in-toto statement inside a verified envelope into a {@link Manifest}: the OMS v1.0
 * predicate, or the deprecated v0.2 one (verify only; Bastion never writes it).
 *
 * <p>The statement is signed, so anything wrong in it is a failed verification, not bad input.
 */
final class OmsStatement {
  /** The predicate type of the reference implementation's v0.2.0, with digests as subjects. */
  static final String LEGACY_PREDICATE_TYPE = "https://model_signing/Digests/v0.1";

  private static final ObjectMapper MAPPER = Json.newMapper(Bundle.MAX_DEPTH, Bundle.MAX_BYTES);

  private OmsStatement() {}

  /**
   * A parsed statement.
   *
   * @param manifest the signed resources
   * @param legacy whether it used the v0.2 predicate, which has no root digest to check
   */
  record Parsed(Manifest manifest, boolean legacy) {}

  /** The predicate type of {@code payload}, or {@code null} if it cannot be read. */
  static String predicateTypeOrNull(byte[] payload) {
    try {
      JsonNode n = MAPPER.readTree(payload);
      JsonNode t = n == null ? null : n.get("predicateType");
      return t != null && t.isTextual() ? t.asText() : null;
    } catch (IOException e) {
      return null;
    }
  }

  static Parsed parse(byte[] payload) throws VerificationException {
    JsonNode st;
    try {
      st = MAPPER.readTree(payload);
    } catch (JsonProcessingException e) {
      throw new VerificationException(
          "the signed payload is not valid JSON" + Json.where(e) + ": " + Json.describe(e), e);
    } catch (IOException e) {
      throw new VerificationException("the signed payload cannot be read", e);
    }
    if (st == null || !st.isObject()) {
      throw new VerificationException("the signed payload is not a JSON object");
    }
    if (!Manifest.STATEMENT_TYPE.equals(st.path("_type").asText(null))) {
      throw new VerificationException(
          "the signed payload is not an in-toto statement (_type is not "
              + Manifest.STATEMENT_TYPE + ")");
    }
    String type = st.path("predicateType").asText(null);
    if (LEGACY_PREDICATE_TYPE.equals(type)) {
      return new Parsed(legacy(st), true);
    }
    if (!Manifest.PREDICATE_TYPE.equals(type)) {
      throw new VerificationException(
          "predicate type is " + abbreviate(String.valueOf(type)) + ", not "
              + Manifest.PREDICATE_TYPE);
    }
    return new Parsed(current(st), false);
  }

  private static Manifest current(JsonNode st) throws VerificationException {
    JsonNode subjects = st.get("subject");
    if (subjects == null || !subjects.isArray() || subjects.size() != 1) {
      throw new VerificationException("an OMS statement has exactly one subject");
    }
    JsonNode subject = subjects.get(0);
    JsonNode nameNode = subject.get("name");
    if (nameNode == null || !nameNode.isTextual()) {
      throw new VerificationException("the subject has no name");
    }
    Digest root = digest(subject.path("digest").get(Digest.ALGORITHM), "subject digest");
    JsonNode predicate = st.get("predicate");
    if (predicate == null || !predicate.isObject()) {
      throw new VerificationException("the predicate must be an object");
    }
    Serialization s = Serialization.parse(predicate.get("serialization"));
    JsonNode res = predicate.get("resources");
    if (res == null || !res.isArray() || res.isEmpty()) {
      throw new VerificationException("predicate.resources must be a non-empty array");
    }
    List<Resource> resources = new ArrayList<>();
    for (JsonNode r : res) {
      if (!r.isObject()) {
        throw new VerificationException("predicate.resources holds a non-object");
      }
      JsonNode n = r.get("name");
      JsonNode alg = r.get("algorithm");
      if (n == null || !n.isTextual() || n.asText().isEmpty()) {
        throw new VerificationException("a resource has no name");
      }
      String name = n.asText();
      if (alg == null || !alg.isTextual()) {
        throw new VerificationException("resource '" + abbreviate(name) + "' has no algorithm");
      }
      Serialization.checkAlgorithm(
          alg.asText(), s.method(), s.shardSize(), "resource '" + abbreviate(name) + "' algorithm");
      checkName(name, s.method());
      resources.add(new Resource(name, digest(r.get("digest"), "resource '" + abbreviate(name) + "'")));
    }
    Manifest m;
    try {
      m = new Manifest(nameNode.asText(), s, resources);
    } catch (IllegalArgumentException e) {
      throw new VerificationException("the signed manifest is inconsistent: " + e.getMessage(), e);
    }
    // The subject names the model for others; it must be the digest of exactly these resources.
    if (!m.rootDigest().equals(root)) {
      throw new VerificationException(
          "the signed manifest is inconsistent: its resources hash to " + m.rootDigest()
              + ", but the subject digest is " + root);
    }
    return m;
  }

  /** v0.2: one subject per file, named by its path, with its SHA-256. */
  private static Manifest legacy(JsonNode st) throws VerificationException {
    JsonNode subjects = st.get("subject");
    if (subjects == null || !subjects.isArray() || subjects.isEmpty()) {
      throw new VerificationException("the legacy statement has no subjects");
    }
    List<Resource> resources = new ArrayList<>();
    for (JsonNode subject : subjects) {
      JsonNode n = subject.get("name");
      if (n == null || !n.isTextual() || n.asText().isEmpty()) {
        throw new VerificationException("a legacy subject has no name");
      }
      checkName(n.asText(), Serialization.Method.FILES);
      resources.add(
          new Resource(n.asText(), digest(subject.path("digest").get(Digest.ALGORITHM), n.asText())));
    }
    try {
      return new Manifest("", Serialization.files(false, List.of()), resources);
    } catch (IllegalArgumentException e) {
      throw new VerificationException("the signed manifest is inconsistent: " + e.getMessage(), e);
    }
  }

  /** Names must be canonical model-relative paths; anything else could never match a file. */
  private static void checkName(String name, Serialization.Method method)
      throws VerificationException {
    String path = name;
    if (method == Serialization.Method.SHARDS) {
      Resource.ShardName s = Resource.ShardName.parseOrNull(name);
      if (s == null) {
        throw new VerificationException(
            "resource '" + abbreviate(name) + "' is not named path:start:end");
      }
      path = s.path();
    }
    if (!path.equals(ModelFiles.SINGLE_FILE_NAME) && !path.equals(IgnoreRules.normalize(path))) {
      throw new VerificationException(
          "resource '" + abbreviate(name) + "' is not a canonical path inside the model");
    }
  }

  private static Digest digest(JsonNode hex, String where) throws VerificationException {
    if (hex == null || !hex.isTextual() || hex.asText().length() != 64) {
      throw new VerificationException(where + ": no sha256 digest (64 lowercase hex digits)");
    }
    try {
      return Digest.parse(hex.asText());
    } catch (IllegalArgumentException e) {
      throw new VerificationException(where + ": not a lowercase hex SHA-256 digest", e);
    }
  }

  static String abbreviate(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }
}
